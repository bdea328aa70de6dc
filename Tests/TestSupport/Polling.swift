/// Explicit synchronization for tests: waits until `condition` holds, checking every `interval`,
/// and throws (naming `what`) when it still does not after `timeout`. For a state that can be read
/// but sends no signal; never a guessed sleep before an assertion.
public func poll(
    until what: String, timeout: Duration = .seconds(10), interval: Duration = .milliseconds(2),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw TestSetupError("timed out waiting until \(what)") }
        try await Task.sleep(for: interval)
    }
}
