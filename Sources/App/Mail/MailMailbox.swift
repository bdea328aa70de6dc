import Foundation

/// A sender as it appears in `From:`: an address and an optional display name
/// (`OrderDesk <noreply@orderdesk.example>`).
public struct MailMailbox: Sendable, Hashable, CustomStringConvertible {
    public let address: MailAddress
    public let name: String?

    public init(address: MailAddress, name: String? = nil) throws(MailError) {
        if let name { try MailMessage.checkHeaderText(name, field: "display name", maxBytes: 128) }
        self.address = address
        self.name = name.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Parses `local@domain` or `Display Name <local@domain>`.
    public init(parsing text: String) throws(MailError) {
        guard text.hasSuffix(">"), let open = text.lastIndex(of: "<") else {
            try self.init(address: MailAddress(text))
            return
        }
        let address = try MailAddress(String(text[text.index(after: open)..<text.index(before: text.endIndex)]))
        var name = text[..<open].trimmingCharacters(in: .whitespaces)
        if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") { name = String(name.dropFirst().dropLast()) }
        try self.init(address: address, name: name)
    }

    public var description: String { name.map { "\($0) <\(address)>" } ?? address.value }
}
