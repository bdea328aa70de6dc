extension AESGCM {
    /// What `AESGCM.seal` produces: everything needed to decrypt except the key and the associated data.
    ///
    /// None of it is secret; it can be stored as is (three columns, or one with `combined`).
    public struct SealedBox: Sendable, Hashable {
        /// The 12-byte nonce the message was encrypted under.
        public let nonce: [UInt8]
        /// The encrypted bytes, as long as the plaintext.
        public let ciphertext: [UInt8]
        /// The 16-byte authentication tag over ciphertext and associated data.
        public let tag: [UInt8]

        /// Reassembles a box read back from storage; lengths are checked when it is opened.
        public init(nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8]) {
            self.nonce = nonce
            self.ciphertext = ciphertext
            self.tag = tag
        }

        /// `nonce ‖ ciphertext ‖ tag`, the usual single-value layout.
        public var combined: [UInt8] { nonce + ciphertext + tag }

        /// Splits `nonce ‖ ciphertext ‖ tag`.
        /// - Throws: `CryptoError.authenticationFailed` if it is too short to hold a nonce and a tag,
        ///   since such bytes cannot have come from `seal`.
        public init(combined: [UInt8]) throws {
            guard combined.count >= AESGCM.nonceByteCount + AESGCM.tagByteCount else {
                throw CryptoError.authenticationFailed
            }
            let tagStart = combined.count - AESGCM.tagByteCount
            self.init(
                nonce: Array(combined[..<AESGCM.nonceByteCount]),
                ciphertext: Array(combined[AESGCM.nonceByteCount..<tagStart]),
                tag: Array(combined[tagStart...]))
        }
    }
}
