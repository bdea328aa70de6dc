import Foundation

/// Numeric settings from the environment, with the variable named in every error.
public enum EnvironmentInteger {
    public static func read(
        _ variable: String, in environment: [String: String], default defaultValue: Int, range: ClosedRange<Int>
    ) throws -> Int {
        guard let text = environment[variable]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            return defaultValue
        }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(
                variable: variable,
                problem: "must be a whole number from \(range.lowerBound) to \(range.upperBound) (default \(defaultValue))")
        }
        return value
    }
}

public enum EnvironmentDouble {
    public static func read(
        _ variable: String, in environment: [String: String], default defaultValue: Double, range: ClosedRange<Double>
    ) throws -> Double {
        guard let text = environment[variable]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            return defaultValue
        }
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            throw ConfigurationError(
                variable: variable,
                problem: "must be a number from \(range.lowerBound) to \(range.upperBound) (default \(defaultValue))")
        }
        return value
    }
}
