import Hummingbird
import JSON

/// `GET /test` (credential check) and `GET /store` (settings and folders).
struct StoreRoutes: Sendable {
    let database: StoreDatabase

    func register(on router: some RouterMethods<SimulatorRequestContext>) {
        router.get("test") { _, _ in
            Response.orderDesk([
                "status": "success", "message": "Connection Successful", "current_date_time": .string(Timestamp.now()),
            ])
        }
        router.get("store") { _, context in try store(context) }
    }

    /// The settings echo the store's API key and an SMTP password, as OrderDesk's sample does, so
    /// clients can be tested for never passing them on. `folders` is an id → name object.
    private func store(_ context: SimulatorRequestContext) throws -> Response {
        let storeID = try context.requireStore()
        guard let profile = database.profile(storeID) else { throw SimulatorError.unauthorized("Unknown store.") }
        let folders = Dictionary(uniqueKeysWithValues: profile.folders.map { (String($0.id), JSONValue.string($0.name)) })
        let settings: JSONValue = [
            "app_version": "2.0", "locale_code": "en_US", "timezone": .string(profile.timezone),
            "store_country": "US", "store_email": "orders@example.com", "admin_email": "admin@example.com",
            "date_format": "Y-m-d H:i:s", "short_date_format": "Y-m-d", "orders_per_page": 50,
            "store_url": "https://shop.example.com", "all_orders_name": "All Orders",
            "api_key": .string(profile.apiKey), "shipping_methods": [], "default_checkout_data_fields": [],
            "all_orders_column_view": [], "smtp_host": "", "smtp_port": "25", "smtp_username": "",
            "smtp_password": "sim-smtp-password", "auto_update_stock_count": "", "auto_create_inventory_items": "",
        ]
        return .orderDeskSuccess(
            [
                "store": [
                    "id": .string(profile.id), "name": .string(profile.name), "settings": settings,
                    "folders": .phpMap(folders),
                ]
            ], context: context)
    }
}
