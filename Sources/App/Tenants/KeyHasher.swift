import Cryptography
import NIOCore
import NIOPosix

/// Runs argon2id on its own CPU-sized thread pool, so a burst of first-time logins can neither
/// stall the cooperative pool nor starve the database threads.
public final class KeyHasher: Sendable {
    private let threadPool: NIOThreadPool
    private let parameters: Argon2id

    public init(threads: Int = System.coreCount, parameters: Argon2id = Argon2id()) {
        let pool = NIOThreadPool(numberOfThreads: max(1, threads))
        pool.start()
        self.threadPool = pool
        self.parameters = parameters
    }

    /// The PHC-encoded argon2id hash of `key`.
    public func hash(_ key: String) async throws -> String {
        let parameters = self.parameters
        return try await threadPool.runIfActive { try parameters.hash(password: key) }
    }

    /// Whether `key` matches `encoded`. False for a malformed hash.
    public func verify(_ key: String, against encoded: String) async throws -> Bool {
        try await threadPool.runIfActive { Argon2id.verify(encoded: encoded, password: key) }
    }

    public func shutdown() async {
        try? await threadPool.shutdownGracefully()
    }
}
