/// OrderDesk's answer to `GET /test`: the credentials work.
public struct ConnectionTest: Sendable, Hashable {
    /// "Connection Successful".
    public let message: String?
    /// OrderDesk's clock, UTC, `YYYY-MM-DD HH:MM:SS`.
    public let currentDateTime: String?
}
