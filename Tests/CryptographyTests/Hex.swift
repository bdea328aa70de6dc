import Cryptography

/// Decodes a hex literal from a published test vector; a typo in a vector is a test bug, so trap.
func hex(_ text: String) -> [UInt8] {
    guard let bytes = [UInt8](hexString: text) else { fatalError("bad hex in test vector: \(text)") }
    return bytes
}
