import Cryptography

/// Proof Key for Code Exchange with the S256 method (RFC 7636); `plain` is not supported.
public enum PKCE {
    /// Whether `challenge` could be an S256 challenge: base64url of 32 bytes, 43 characters.
    public static func isWellFormedChallenge(_ challenge: String) -> Bool {
        challenge.utf8.count == 43 && challenge.utf8.allSatisfy(Base64URL.isAlphabet)
    }

    /// Whether `verifier` is 43 to 128 characters of `[A-Za-z0-9-._~]` (RFC 7636 §4.1).
    public static func isWellFormedVerifier(_ verifier: String) -> Bool {
        (43...128).contains(verifier.utf8.count)
            && verifier.utf8.allSatisfy { byte in
                Base64URL.isAlphabet(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "~")
            }
    }

    /// `BASE64URL(SHA256(ASCII(verifier)))` (RFC 7636 §4.2).
    public static func s256Challenge(forVerifier verifier: String) -> String {
        Base64URL.encode(SHA256.hash(Array(verifier.utf8)))
    }

    /// Whether a well-formed `verifier` hashes to `challenge`.
    static func verify(verifier: String, challenge: String) -> Bool {
        guard isWellFormedVerifier(verifier) else { return false }
        return ConstantTime.equals(Array(s256Challenge(forVerifier: verifier).utf8), Array(challenge.utf8))
    }
}
