import Cryptography
import Foundation

/// The PostgreSQL advisory-lock keys of the order services, derived by hashing so that different
/// purposes and stores land on different keys. (Advisory locks are cluster-wide per database: a key
/// is shared by every replica, which is the point.) All of them are transaction locks, held for one
/// short transaction; updates of one order are serialized by `OrderUpdateLeases` instead, because
/// they span calls to OrderDesk.
enum OrderLockKeys {
    /// Lets only one replica sweep expired rows at a time (transaction lock, tried, never waited for).
    static let sweep = bigint("orderdesk-mcp/sweep-expired")

    /// The first half of the two-integer key that orders a store's cache writes after its
    /// invalidations. The two-integer form is a separate key space from the bigint keys above.
    static let cacheNamespace = Int32(bitPattern: 0x4F44_4301)  // "ODC" 1

    /// The second half: the store, hashed to 32 bits (a collision only makes two stores share a lock).
    static func cacheStore(_ storeID: UUID) -> Int32 {
        let digest = SHA256.hash(Array(("orderdesk-mcp/cache-store\u{0}" + storeID.uuidString.lowercased()).utf8))
        return Int32(bitPattern: digest[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    }

    private static func bigint(_ parts: String...) -> Int64 {
        let digest = SHA256.hash(Array(parts.joined(separator: "\u{0}").utf8))
        return Int64(bitPattern: digest[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }
}
