import Foundation
import JSON
import OrderDesk

extension OrderService {
    /// How long a store's folder list stays cached. Folders change only in OrderDesk's web app, so
    /// minutes of staleness are cheap, and a folder missing from the cached list is looked up again
    /// before a move is refused (`folder(_:tenantID:store:)`).
    static let folderListTTL: Duration = .seconds(300)

    /// The store's folders sorted by id, read through the cache (scope `store`, key `folders`, for
    /// `folderListTTL`), and whether they came from the cache. `refresh` skips the cached copy and
    /// replaces it.
    public func folders(
        tenantID: UUID, store: RegisteredStore, refresh: Bool = false
    ) async throws -> (folders: [StoreFolder], cached: Bool) {
        let key = OrderCache.foldersKey
        let since: String
        switch try await cache.lookup(tenantID: tenantID, storeID: store.id, scope: .store, key: key) {
        case .hit(let list) where !refresh:
            ServiceMetrics.cacheLookup(.store, hit: true)
            return (StoreFolder.list(from: list), true)
        case .hit:
            since = try await cache.now(tenantID: tenantID)
        case .miss(let checkedAt):
            ServiceMetrics.cacheLookup(.store, hit: false)
            since = checkedAt
        }
        let api = try await upstream(tenantID: tenantID, store: store, tokens: 1)
        let info = try await upstreamSlots.withSlot(tenantID: tenantID) { try await api.getStore() }
        let folders = info.folders.map { StoreFolder(id: $0.key, name: $0.value) }.sorted { $0.id < $1.id }
        await fill(
            tenantID: tenantID, storeID: store.id, scope: .store, key: key, value: .array(folders.map(\.json)),
            ttl: Self.folderListTTL, since: since)
        return (folders, false)
    }

    /// The folder `choice` names, from the folder list; a folder missing from a cached list is looked
    /// up once more in OrderDesk (it may be new).
    ///
    /// - Throws: `OrderServiceError(.validation)` listing the store's folders when none matches.
    ///   Names match exactly (case-sensitively), as OrderDesk matches them.
    public func folder(_ choice: FolderChoice, tenantID: UUID, store: RegisteredStore) async throws -> StoreFolder {
        var (folders, cached) = try await self.folders(tenantID: tenantID, store: store)
        if let folder = Self.match(choice, in: folders) { return folder }
        if cached {
            folders = try await self.folders(tenantID: tenantID, store: store, refresh: true).folders
            if let folder = Self.match(choice, in: folders) { return folder }
        }
        let names = folders.map { "\($0.name) (\($0.id))" }.joined(separator: ", ")
        let asked =
            switch choice {
            case .id(let id): "folder id \(id)"
            case .name(let name): "folder named \"\(name.prefix(100))\""
            }
        throw OrderServiceError(
            .validation,
            folders.isEmpty
                ? "The store has no \(asked); OrderDesk lists no folders for it."
                : "The store has no \(asked). Its folders are: \(names). Folder names match exactly, case included.")
    }

    static func match(_ choice: FolderChoice, in folders: [StoreFolder]) -> StoreFolder? {
        switch choice {
        case .id(let id): folders.first { $0.id == id }
        case .name(let name): folders.first { $0.name == name }
        }
    }
}
