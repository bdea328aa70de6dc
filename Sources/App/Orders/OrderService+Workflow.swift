import Foundation
import JSON
import OrderDesk

extension OrderService {
    /// Moves orders to `folder` (`POST /move-orders`, by folder id) and reports each order: one
    /// order OrderDesk does not know never fails the others. The destination folder's rules run in
    /// OrderDesk. Ids that cannot be OrderDesk ids (not all digits) are reported `notFound` without
    /// being sent, since OrderDesk would refuse the whole batch for them.
    ///
    /// Once the request went out (whatever the answer), every order's cache entries and every list of
    /// the store are invalidated on all replicas. One bucket token and one upstream slot are taken.
    ///
    /// - Parameter orderIDs: 1 to 100 distinct ids (the tool checks).
    public func move(
        tenantID: UUID, store: RegisteredStore, orderIDs: [String], to folder: StoreFolder
    ) async throws -> [OrderMoveResult] {
        let sendable = orderIDs.filter(Self.isOrderDeskID)
        // By number: OrderDesk answers with integer ids, whatever leading zeros were sent.
        var reports: [Int64: OrderMove] = [:]
        if !sendable.isEmpty {
            let api = try await upstream(tenantID: tenantID, store: store, tokens: 1)
            let moves = try await upstreamSlots.withSlot(tenantID: tenantID) {
                do {
                    return try await api.moveOrders(sendable, to: .id(folder.id))
                } catch {
                    // The move may have been applied even though the call failed.
                    await self.invalidateAfterMutation(tenantID: tenantID, storeID: store.id, orderIDs: sendable)
                    throw error
                }
            }
            await invalidateAfterMutation(tenantID: tenantID, storeID: store.id, orderIDs: sendable)
            for move in moves {
                guard let id = move.orderID.flatMap({ Int64($0) }), reports[id] == nil else { continue }
                reports[id] = move
            }
        }
        return orderIDs.map { id in
            if let move = Int64(id).flatMap({ reports[$0] }) { return Self.result(of: move, orderID: id) }
            guard Self.isOrderDeskID(id) else {
                return OrderMoveResult(
                    orderID: id, outcome: .notFound, message: "Not an OrderDesk order id.", originalFolderID: nil)
            }
            return OrderMoveResult(
                orderID: id, outcome: .upstreamError,
                message: "OrderDesk did not report on this order; check it with orders_get.",
                originalFolderID: nil)
        }
    }

    /// Appends `note` to the order's history (`POST /orders/{id}/order-history`; OrderDesk keeps
    /// history append-only) and returns the order with its `order_history`. The order's cache entries
    /// and the store's lists are invalidated once the request went out.
    public func addNote(
        tenantID: UUID, store: RegisteredStore, orderID: String, note: String, sourceName: String?
    ) async throws -> JSONValue {
        let api = try await upstream(tenantID: tenantID, store: store, tokens: 1)
        return try await upstreamSlots.withSlot(tenantID: tenantID) {
            let order: Order
            do {
                order = try await api.addOrderHistory(orderID: orderID, note: note, sourceName: sourceName)
            } catch {
                // The note may have been added even though the call failed.
                await self.invalidateAfterMutation(tenantID: tenantID, storeID: store.id, orderID: orderID)
                throw error
            }
            await self.invalidateAfterMutation(tenantID: tenantID, storeID: store.id, orderID: orderID)
            return order.json
        }
    }

    /// OrderDesk's internal order ids are decimal numbers.
    static func isOrderDeskID(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 20 && id.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// OrderDesk's per-order answer: moved ones carry their original folder ("Order Moved to …
    /// Folder"); unknown ones say "Order Not Found".
    static func result(of move: OrderMove, orderID: String) -> OrderMoveResult {
        let message = move.message ?? ""
        let outcome: OrderMoveResult.Outcome =
            if message.lowercased().contains("not found") {
                .notFound
            } else if move.originalFolderID != nil || message.lowercased().contains("moved") {
                .moved
            } else {
                .upstreamError
            }
        return OrderMoveResult(
            orderID: orderID, outcome: outcome, message: move.message, originalFolderID: move.originalFolderID)
    }
}
