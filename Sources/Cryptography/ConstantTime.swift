internal import COpenSSL

/// Comparisons whose running time does not depend on where the inputs differ.
public enum ConstantTime {
    /// Whether `a` and `b` hold the same bytes, compared with `CRYPTO_memcmp`.
    ///
    /// Different lengths return false at once: lengths of tags, MACs and fingerprints are fixed and
    /// public, so only the content comparison has to hide where a mismatch starts.
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withNonNullBytes { left, count in
            b.withNonNullBytes { right, _ in
                CRYPTO_memcmp(left, right, count) == 0
            }
        }
    }
}
