import JSON

/// How a caller names one inventory item: OrderDesk's integer id, or its SKU (`code`).
public enum InventoryItemReference: Sendable, Hashable, CustomStringConvertible {
    case id(Int64)
    /// Matched exactly; when no SKU matches exactly, a single case-insensitive match is accepted
    /// (OrderDesk compares SKUs without regard to case).
    case code(String)

    /// What the audit log and messages call the item: `2510` or `code:MUG-1`.
    public var description: String {
        switch self {
        case .id(let id): String(id)
        case .code(let code): "code:" + code
        }
    }
}

/// A change of an inventory item's stock.
public enum StockChange: Sendable, Hashable {
    /// Set the stock to this many units (≥ 0).
    case set(Int64)
    /// Add this many units (negative: remove); the result must stay ≥ 0.
    case adjust(by: Int64)

    /// The stock after the change, or `OrderServiceError(.validation)` when it would be negative.
    func applied(to current: Int64, item: String) throws -> Int64 {
        switch self {
        case .set(let stock):
            guard stock >= 0 else {
                throw OrderServiceError(.validation, "stock must be 0 or more; nothing was written.")
            }
            return stock
        case .adjust(let delta):
            let (sum, overflow) = current.addingReportingOverflow(delta)
            guard !overflow, sum >= 0 else {
                throw OrderServiceError(
                    .validation,
                    "\(item) has \(current) in stock; a delta of \(delta) would leave \(overflow ? "an impossible" : String(sum)) "
                        + "units. Nothing was written; use a smaller delta or set `stock`.")
            }
            return sum
        }
    }
}

/// The outcome of a stock change: the item as OrderDesk stored it, and its stock before and after.
public struct StockUpdate: Sendable {
    public let item: JSONValue
    public let previousStock: Int64
    public let stock: Int64
}
