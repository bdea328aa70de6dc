import Foundation

/// The transaction-mode pgbouncer `make test` starts in front of the test cluster (scripts/pgbouncer.sh):
/// same socket directory, port `ODMCP_PGBOUNCER_PORT` (the cluster's port + 1).
public enum TestPooler {
    /// `url` (a URL of the test cluster, `…?host=<socket dir>&port=<cluster port>&user=…`) with its port
    /// changed to the pooler's. Throws when the pooler is not running, saying how to start it.
    public static func url(throughPoolerFrom url: String) throws -> String {
        let environment = ProcessInfo.processInfo.environment
        guard let clusterPort = environment["ODMCP_PG_PORT"], let poolerPort = environment["ODMCP_PGBOUNCER_PORT"],
            url.contains("port=\(clusterPort)")
        else {
            throw TestSetupError("ODMCP_PG_PORT/ODMCP_PGBOUNCER_PORT are not set: run the tests with `make test`")
        }
        let socketDirectory = url.split(separator: "?").last?.split(separator: "&")
            .first { $0.hasPrefix("host=") }?.dropFirst("host=".count)
        guard let socketDirectory, FileManager.default.fileExists(atPath: "\(socketDirectory)/.s.PGSQL.\(poolerPort)")
        else {
            throw TestSetupError("pgbouncer is not running on port \(poolerPort): run `bash scripts/pgbouncer.sh up`")
        }
        return url.replacingOccurrences(of: "port=\(clusterPort)", with: "port=\(poolerPort)")
    }
}
