/// How `StoreRegistry.resolve` matched an identifier.
public enum StoreMatch: String, Sendable {
    /// Our uuid, or the OrderDesk store id.
    case id
    /// The store's name, ignoring case.
    case name
}
