internal import CArgon2

/// Argon2id password hashing (RFC 9106) with libargon2, for master keys at rest.
///
/// The defaults meet DESIGN §5 (memory ≥ 19 MiB, t ≥ 2), matching OWASP's argon2id baseline:
/// 19 MiB, 2 passes, 1 lane, 16-byte salt, 32-byte hash.
///
/// Hashing and verifying are deliberately slow (tens of milliseconds) and block the calling
/// thread; call them from a thread pool such as `NIOThreadPool`, never on the cooperative pool.
public struct Argon2id: Sendable, Hashable {
    /// Memory cost in KiB.
    public var memoryKiB: Int
    /// Number of passes over memory (time cost).
    public var iterations: Int
    /// Number of lanes, and threads used to fill them.
    public var parallelism: Int
    /// Length of the random salt drawn by `hash(password:)`.
    public var saltByteCount: Int
    /// Length of the hash.
    public var hashByteCount: Int

    /// Creates a parameter set; the defaults are the ones DESIGN §5 requires.
    public init(
        memoryKiB: Int = 19_456,
        iterations: Int = 2,
        parallelism: Int = 1,
        saltByteCount: Int = 16,
        hashByteCount: Int = 32
    ) {
        self.memoryKiB = memoryKiB
        self.iterations = iterations
        self.parallelism = parallelism
        self.saltByteCount = saltByteCount
        self.hashByteCount = hashByteCount
    }

    /// Makes every later Argon2 working area (19 MiB by default) go back to the system when a hash
    /// or verification ends. Call once at the start of a long-running process.
    ///
    /// libargon2 `malloc`s its memory. glibc serves a block that large with `mmap`, but when it is
    /// freed glibc raises its mmap threshold to the block's size, so the next ones come from the
    /// calling thread's malloc arena, which keeps them: each thread that ever verified a key then
    /// holds 19 MiB (seen as RSS growing in 20 MB steps, once per key re-verification, up to one step
    /// per thread). A fixed threshold (1 MiB) turns that adjustment off. Returns whether glibc took it.
    @discardableResult
    public static func keepWorkingMemoryOutOfMallocArenas() -> Bool {
        odmcp_fix_mmap_threshold(1 << 20) == 1
    }

    /// Hashes `password` with a fresh random salt into the PHC string form
    /// (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), which records the parameters for `verify`.
    /// - Throws: `CryptoError.invalidParameters` for parameters libargon2 rejects,
    ///   `CryptoError.libraryFailure` if it cannot allocate its memory.
    public func hash(password: [UInt8]) throws -> String {
        let costs = try checkedCosts()
        guard let saltLength = UInt32(exactly: saltByteCount), let hashLength = UInt32(exactly: hashByteCount) else {
            throw CryptoError.invalidParameters("salt or hash length out of range")
        }
        let salt = SecureRandom.bytes(saltByteCount)
        let encodedLength = argon2_encodedlen(
            costs.iterations, costs.memoryKiB, costs.parallelism, saltLength, hashLength, Argon2_id)
        var encoded = [CChar](repeating: 0, count: encodedLength)
        let status = password.withNonNullBytes { passwordBytes, passwordCount in
            salt.withNonNullBytes { saltBytes, saltCount in
                encoded.withUnsafeMutableBufferPointer { output in
                    argon2id_hash_encoded(
                        costs.iterations, costs.memoryKiB, costs.parallelism,
                        passwordBytes, passwordCount, saltBytes, saltCount,
                        hashByteCount, output.baseAddress, output.count)
                }
            }
        }
        try Self.check(status)
        return encoded.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Hashes the UTF-8 bytes of `password`; see `hash(password:)` for `[UInt8]`.
    public func hash(password: String) throws -> String {
        var bytes = Array(password.utf8)
        defer { bytes.secureZero() }
        return try hash(password: bytes)
    }

    /// The raw hash of `password` with a caller-chosen salt, optional secret (pepper) and
    /// associated data, through libargon2's full `argon2_ctx` interface.
    ///
    /// The high-level libargon2 calls have no secret or associated-data inputs, so this is the only
    /// way to reproduce RFC 9106's published vectors. For storing passwords use `hash(password:)`.
    public func hashRaw(
        password: [UInt8],
        salt: [UInt8],
        secret: [UInt8] = [],
        associatedData: [UInt8] = []
    ) throws -> [UInt8] {
        let costs = try checkedCosts()
        let lengths = [password.count, salt.count, secret.count, associatedData.count, hashByteCount]
        guard lengths.allSatisfy({ UInt32(exactly: $0) != nil }) else {
            throw CryptoError.invalidParameters("input longer than 4 GiB")
        }
        var output = [UInt8](repeating: 0, count: hashByteCount)
        let status = password.withNonNullBytes { passwordBytes, passwordCount in
            salt.withNonNullBytes { saltBytes, saltCount in
                secret.withNonNullBytes { secretBytes, secretCount in
                    associatedData.withNonNullBytes { adBytes, adCount in
                        output.withUnsafeMutableBufferPointer { out in
                            // argon2_context wants mutable pointers only because its CLEAR_* flags may
                            // wipe the inputs; flags are 0 here, so libargon2 only reads them.
                            var context = argon2_context(
                                out: out.baseAddress, outlen: UInt32(out.count),
                                pwd: Self.mutable(passwordBytes), pwdlen: UInt32(passwordCount),
                                salt: Self.mutable(saltBytes), saltlen: UInt32(saltCount),
                                secret: Self.mutable(secretBytes), secretlen: UInt32(secretCount),
                                ad: Self.mutable(adBytes), adlen: UInt32(adCount),
                                t_cost: costs.iterations, m_cost: costs.memoryKiB,
                                lanes: costs.parallelism, threads: costs.parallelism,
                                version: UInt32(ARGON2_VERSION_13.rawValue),
                                allocate_cbk: nil, free_cbk: nil, flags: 0)
                            return argon2_ctx(&context, Argon2_id)
                        }
                    }
                }
            }
        }
        do {
            try Self.check(status)
        } catch {
            output.secureZero()
            throw error
        }
        return output
    }

    /// Whether `password` matches a PHC string made by `hash(password:)` (`argon2id_verify`).
    ///
    /// False for a wrong password and for any error: malformed or non-argon2id strings, allocation
    /// failure. It never throws, so neither the password nor the stored hash can leak into an error.
    public static func verify(encoded: String, password: [UInt8]) -> Bool {
        let status = password.withNonNullBytes { bytes, count in
            argon2id_verify(encoded, bytes, count)
        }
        return status == ARGON2_OK.rawValue
    }

    /// Verifies the UTF-8 bytes of `password`; see `verify(encoded:password:)` for `[UInt8]`.
    public static func verify(encoded: String, password: String) -> Bool {
        var bytes = Array(password.utf8)
        defer { bytes.secureZero() }
        return verify(encoded: encoded, password: bytes)
    }

    private func checkedCosts() throws -> (iterations: UInt32, memoryKiB: UInt32, parallelism: UInt32) {
        guard let iterations = UInt32(exactly: iterations), let memoryKiB = UInt32(exactly: memoryKiB),
            let parallelism = UInt32(exactly: parallelism)
        else { throw CryptoError.invalidParameters("Argon2 cost out of range") }
        return (iterations, memoryKiB, parallelism)
    }

    private static func mutable(_ pointer: UnsafeRawPointer) -> UnsafeMutablePointer<UInt8> {
        UnsafeMutablePointer(mutating: pointer.assumingMemoryBound(to: UInt8.self))
    }

    /// Maps a libargon2 status to `CryptoError`; its messages are fixed strings, never input data.
    private static func check(_ status: Int32) throws {
        guard status != ARGON2_OK.rawValue else { return }
        let message = String(cString: argon2_error_message(status))
        if status == ARGON2_MEMORY_ALLOCATION_ERROR.rawValue {
            throw CryptoError.libraryFailure("argon2: \(message)")
        }
        throw CryptoError.invalidParameters("argon2: \(message)")
    }
}
