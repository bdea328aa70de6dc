import Foundation

/// A tenant member's e-mail address, normalized: the form stored in `tenant_members.email` and the
/// only form `member_tenants()` matches, so the operator's `add-member` and the sign-in page's
/// input meet on one spelling.
///
/// Normalizing trims spaces and tabs at both ends and lowercases (addresses are compared
/// case-insensitively everywhere in practice, although RFC 5321 leaves the local part's case to
/// the receiving server).
///
/// ASCII only, on purpose: a UTF-8 local part (RFC 6531) can be delivered only if every relay speaks
/// SMTPUTF8, and Unicode lowercasing and confusable letters would let two spellings of "one"
/// address differ. An internationalized domain is accepted in its ASCII form (`xn--…`, what
/// `idn2` prints); its Unicode form is refused with a message saying so. Widening this later keeps
/// every stored address valid.
///
/// Accepted: `local@domain` where the local part is an RFC 5322 dot-atom (letters, digits and
/// ``!#$%&'*+-/=?^_`{|}~``, dots between them), at most 64 characters, and the domain is two or
/// more DNS labels (letters, digits, inner hyphens; 1–63 characters each; the last one not all
/// digits), at most 254 characters in all. Refused: quoted local parts, IP-address domains, CR, LF,
/// NUL and every other control character or space anywhere, which is what keeps an address from
/// ever breaking an SMTP command or a mail header.
public struct MemberEmail: Sendable, Hashable, CustomStringConvertible {
    /// The normalized address.
    public let address: String

    /// RFC 5321's limit on a path (256 including the angle brackets).
    public static let maximumLength = 254
    public static let maximumLocalPartLength = 64

    /// Why a text is not an address a member can have. The message names the rule, not the input
    /// (which may be long or hold control characters).
    public struct Invalid: Error, Sendable, Hashable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    /// Normalizes and checks `text`.
    /// - Throws: `MemberEmail.Invalid`.
    public init(_ text: String) throws(Invalid) {
        let trimmed = text.trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
        let scalars = trimmed.unicodeScalars
        guard !scalars.isEmpty else { throw Invalid(reason: "the e-mail address is empty") }
        if scalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == " " }) {
            throw Invalid(reason: "the e-mail address contains a space or a control character (such as a line break)")
        }
        guard scalars.allSatisfy(\.isASCII) else {
            throw Invalid(
                reason: "the e-mail address has non-ASCII characters: write an internationalized domain in its "
                    + "xn-- form (e.g. with `idn2`); non-ASCII local parts are not supported")
        }
        guard scalars.count <= Self.maximumLength else {
            throw Invalid(reason: "the e-mail address is longer than \(Self.maximumLength) characters")
        }
        let address = trimmed.lowercased()
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw Invalid(reason: "the e-mail address must contain exactly one @") }
        try Self.checkLocalPart(parts[0])
        try Self.checkDomain(parts[1])
        self.address = address
    }

    /// An address read back from `tenant_members`, which only `init(_:)` wrote. Not re-checked: a
    /// row written by hand that passed the table's CHECK must not make the whole list unreadable.
    init(stored address: String) {
        self.address = address
    }

    public var description: String { address }

    // MARK: Rules

    /// RFC 5322 `atext`, less the letters and digits.
    private static let atextSymbols = Set("!#$%&'*+-/=?^_`{|}~")

    private static func checkLocalPart(_ local: Substring) throws(Invalid) {
        guard !local.isEmpty else { throw Invalid(reason: "the e-mail address has nothing before the @") }
        guard local.count <= maximumLocalPartLength else {
            throw Invalid(reason: "the part before the @ is longer than \(maximumLocalPartLength) characters")
        }
        let atoms = local.split(separator: ".", omittingEmptySubsequences: false)
        guard atoms.allSatisfy({ !$0.isEmpty }) else {
            throw Invalid(reason: "the part before the @ cannot start or end with a dot or have two dots in a row")
        }
        guard local.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || atextSymbols.contains($0) }) else {
            throw Invalid(reason: "the part before the @ may hold only letters, digits, dots and !#$%&'*+-/=?^_`{|}~")
        }
    }

    private static func checkDomain(_ domain: Substring) throws(Invalid) {
        guard !domain.isEmpty else { throw Invalid(reason: "the e-mail address has nothing after the @") }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else {
            throw Invalid(reason: "the domain after the @ needs at least one dot (e.g. example.com)")
        }
        for label in labels {
            guard (1...63).contains(label.count) else {
                throw Invalid(reason: "each part of the domain must be 1 to 63 characters (no empty parts, no trailing dot)")
            }
            guard label.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }), label.first != "-", label.last != "-"
            else {
                throw Invalid(reason: "the domain may hold only letters, digits and hyphens (not at the start or end of a part)")
            }
        }
        // A domain whose last label is all digits is an IP address (or a typo), not a mail domain.
        if labels[labels.count - 1].allSatisfy(\.isNumber) {
            throw Invalid(reason: "the domain must be a name, not an IP address")
        }
    }
}
