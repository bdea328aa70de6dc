import JSON

extension StoreAPI {
    /// Checks the credentials (`GET /test`). A wrong key throws `unauthorized`.
    public func testConnection() async throws -> ConnectionTest {
        let response = try await send(UpstreamRequest(method: .get, path: ["test"], subject: "the connection test"))
        return ConnectionTest(
            message: response["message"]?.lenientString, currentDateTime: response["current_date_time"]?.lenientString)
    }

    /// The store's name, settings (secrets removed) and folders (`GET /store`).
    public func getStore() async throws -> StoreInfo {
        let subject = "the store settings"
        let response = try await send(UpstreamRequest(method: .get, path: ["store"], subject: subject))
        return StoreInfo(store: try member("store", of: response, about: subject))
    }
}
