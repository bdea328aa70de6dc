import Foundation

/// The one way settings are read: from the process environment (12-factor), by each subsystem's
/// `init(reader:)`, whose doc comment lists its variables and defaults. Every error is a
/// `ConfigurationError` naming the variable and what it must be, never echoing the value (it may
/// be a misplaced secret). A variable that is unset or blank takes its default.
public struct EnvironmentReader: Sendable {
    private let environment: [String: String]

    public init(_ environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// The trimmed text of `variable`, or nil when it is unset or blank.
    public func text(_ variable: String) -> String? {
        guard let value = environment[variable]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
            return nil
        }
        return value
    }

    /// The comma-separated items of `variable`, trimmed, blanks dropped.
    public func list(_ variable: String) -> [String] {
        (text(variable) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
    }

    /// A whole number in `range`, or `defaultValue` when unset.
    public func integer(_ variable: String, default defaultValue: Int, range: ClosedRange<Int>) throws -> Int {
        try optionalInteger(variable, range: range, defaultText: " (default \(defaultValue))") ?? defaultValue
    }

    /// A whole number in `range`, or nil when unset (the subsystem keeps its own default).
    public func optionalInteger(_ variable: String, range: ClosedRange<Int>) throws -> Int? {
        try optionalInteger(variable, range: range, defaultText: "")
    }

    private func optionalInteger(_ variable: String, range: ClosedRange<Int>, defaultText: String) throws -> Int? {
        guard let text = text(variable) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            let bounds =
                range.upperBound == .max
                ? "at least \(range.lowerBound)" : "from \(range.lowerBound) to \(range.upperBound)"
            throw ConfigurationError(variable: variable, problem: "must be a whole number \(bounds)\(defaultText)")
        }
        return value
    }

    /// A number in `range`, or `defaultValue` when unset.
    public func number(_ variable: String, default defaultValue: Double, range: ClosedRange<Double>) throws -> Double {
        try optionalNumber(variable, range: range) ?? defaultValue
    }

    /// A number in `range`, or nil when unset.
    public func optionalNumber(_ variable: String, range: ClosedRange<Double>) throws -> Double? {
        guard let text = text(variable) else { return nil }
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            throw ConfigurationError(
                variable: variable, problem: "must be a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// `true`/`1`/`yes` or `false`/`0`/`no` (any case), or `defaultValue` when unset.
    public func flag(_ variable: String, default defaultValue: Bool) throws -> Bool {
        switch text(variable)?.lowercased() {
        case nil: defaultValue
        case "true", "1", "yes": true
        case "false", "0", "no": false
        default: throw ConfigurationError(variable: variable, problem: "must be true or false")
        }
    }

    /// Secret key material: base64 of at least `minimumBytes` (exactly `exactBytes` when given).
    public func secret(_ variable: String, minimumBytes: Int, exactBytes: Int? = nil) throws -> [UInt8] {
        let howTo = "generate one with `openssl rand -base64 32`"
        guard let text = text(variable) else {
            throw ConfigurationError(variable: variable, problem: "not set; \(howTo)")
        }
        guard let bytes = Data(base64Encoded: text).map(Array.init) else {
            throw ConfigurationError(variable: variable, problem: "not valid base64; \(howTo)")
        }
        if let exactBytes, bytes.count != exactBytes {
            throw ConfigurationError(
                variable: variable, problem: "must decode to exactly \(exactBytes) bytes (got \(bytes.count)); \(howTo)")
        }
        guard bytes.count >= minimumBytes else {
            throw ConfigurationError(
                variable: variable, problem: "must decode to at least \(minimumBytes) bytes (got \(bytes.count)); \(howTo)")
        }
        return bytes
    }

    /// `MASTER_KEY_PEPPER`: base64 of at least 32 random bytes, the HMAC key of master-key fingerprints.
    public func masterKeyPepper() throws -> [UInt8] {
        try secret("MASTER_KEY_PEPPER", minimumBytes: 32)
    }
}
