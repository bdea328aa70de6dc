internal import COpenSSL

/// Unpadded base64url (RFC 4648 §5), the alphabet of master keys: safe in URLs, headers and shells.
///
/// Public for the OAuth tokens and PKCE (`base64url(SHA-256(code_verifier))`, RFC 7636 §4.2).
public enum Base64URL {
    /// Whether `byte` is one of the 64 characters of the alphabet (`A–Z a–z 0–9 - _`).
    public static func isAlphabet(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }

    /// Encodes `bytes` without `=` padding.
    public static func encode(_ bytes: [UInt8]) -> String {
        guard !bytes.isEmpty else { return "" }
        // EVP_EncodeBlock writes standard, padded base64 plus a NUL; translate it afterwards.
        var encoded = [UInt8](repeating: 0, count: 4 * ((bytes.count + 2) / 3) + 1)
        let length = encoded.withUnsafeMutableBufferPointer { output in
            bytes.withUnsafeBufferPointer { input in
                EVP_EncodeBlock(output.baseAddress, input.baseAddress, Int32(input.count))
            }
        }
        var characters: [UInt8] = []
        characters.reserveCapacity(Int(length))
        for character in encoded.prefix(Int(length)) {
            switch character {
            case UInt8(ascii: "+"): characters.append(UInt8(ascii: "-"))
            case UInt8(ascii: "/"): characters.append(UInt8(ascii: "_"))
            case UInt8(ascii: "="): continue
            default: characters.append(character)
            }
        }
        // The encoding of key material is itself secret.
        encoded.secureZero()
        defer { characters.secureZero() }
        return String(decoding: characters, as: UTF8.self)
    }

    /// The 6-bit value of an alphabet character, or nil for anything else.
    static func value(of character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return character - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return character - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0") + 52
        case UInt8(ascii: "-"): return 62
        case UInt8(ascii: "_"): return 63
        default: return nil
        }
    }
}
