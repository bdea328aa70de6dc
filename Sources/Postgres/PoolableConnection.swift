/// What `ConnectionPool` needs of a connection: a way to end it. The pool knows nothing else about
/// it, so its bookkeeping can be tested with a fake connection and no database.
protocol PoolableConnection: AnyObject, Sendable {
    /// Ends the connection. May block (PQfinish says goodbye on the socket): the pool calls it on its
    /// thread pool, never on the caller's thread.
    func close()
}

extension PostgresConnection: PoolableConnection {}
