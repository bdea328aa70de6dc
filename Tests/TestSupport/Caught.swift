/// The error `body` throws, as `E`, or nil when it throws nothing or something else.
public func caught<E: Error, T>(_ type: E.Type, _ body: () async throws -> T) async -> E? {
    do {
        _ = try await body()
        return nil
    } catch let error as E {
        return error
    } catch {
        return nil
    }
}
