/// Why the migration runner stopped. Messages name the file and say what to do.
public enum MigrationError: Error, CustomStringConvertible, Equatable {
    case badFileName(String)
    case notUTF8(String)
    case directoryUnreadable(String)
    case duplicateVersion(String)
    /// An applied file's bytes changed since it was applied.
    case checksumMismatch(fileName: String)
    /// The ledger lists a version whose file is gone.
    case missingFile(version: String, name: String)
    /// A file's SQL failed; its transaction was rolled back.
    case failed(fileName: String, sqlState: String?, message: String)

    public var description: String {
        switch self {
        case .badFileName(let name):
            return "migration file \(name) is not named NNNN_lowercase_name.sql"
        case .notUTF8(let name):
            return "migration file \(name) is not UTF-8"
        case .directoryUnreadable(let path):
            return "cannot read the migrations directory \(path) (set --migrations-dir or MIGRATIONS_DIR)"
        case .duplicateVersion(let version):
            return "two migration files share version \(version); renumber one"
        case .checksumMismatch(let name):
            return "migration \(name) was edited after it was applied (checksum differs); "
                + "restore the applied version and put the change in a new migration file"
        case .missingFile(let version, let name):
            return "migration \(version)_\(name).sql is recorded as applied but its file is missing"
        case .failed(let name, let sqlState, let message):
            return "migration \(name) failed (SQLSTATE \(sqlState ?? "-")): \(message); nothing from it was applied"
        }
    }
}
