/// Counters that show whether connections are being reused.
public struct ConnectionStatistics: Sendable, Hashable {
    /// Attempts handed to libcurl (every retry counts).
    public var transfers: Int
    /// New TCP connections libcurl opened, summed over all transfers (`CURLINFO_NUM_CONNECTS`).
    /// Equal to `transfers` would mean no reuse at all; at most `handles` under sequential load.
    public var connectionsOpened: Int
    /// Easy handles created so far (never more than `maxConnections`).
    public var handles: Int

    public init(transfers: Int = 0, connectionsOpened: Int = 0, handles: Int = 0) {
        self.transfers = transfers
        self.connectionsOpened = connectionsOpened
        self.handles = handles
    }
}
