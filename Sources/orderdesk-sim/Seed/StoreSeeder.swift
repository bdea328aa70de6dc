import Foundation
import JSON

/// Builds a store's starting data from `--seed` and the store id: the same inputs always give the
/// same orders, items and inventory, byte for byte.
///
/// Seeded dates lie in the 90 days after 2025-03-01 (UTC) rather than relative to "now", because data
/// that moved with the clock could not be deterministic.
struct StoreSeeder {
    static let epoch: Int64 = Timestamp.unix(from: "2025-03-01 00:00:00")!
    static let span: Int64 = 90 * 86_400

    private var random: SeededGenerator
    private let configuration: StoreConfiguration
    private let profile: StoreProfile
    private var data: StoreData

    static func seed(_ configuration: StoreConfiguration, seed: UInt64) -> StoreData {
        var seeder = StoreSeeder(configuration: configuration, seed: seed)
        seeder.seedInventory()
        seeder.seedOrders()
        return seeder.data
    }

    private init(configuration: StoreConfiguration, seed: UInt64) {
        self.configuration = configuration
        self.random = SeededGenerator(seed: seed, storeID: configuration.id)
        // Id ranges depend on the store id only, so stores rarely share ids (OrderDesk's ids are global).
        let slot = Int64(SeededGenerator.fnv1a(configuration.id) % 900)
        let folderBase = 21_000 + slot * 10
        self.profile = StoreProfile(
            id: configuration.id, apiKey: configuration.apiKey, name: configuration.name,
            timezone: configuration.timezone,
            folders: ["New", "Prepared", "Closed", "Canceled"].enumerated().map {
                Folder(id: folderBase + Int64($0.offset), name: $0.element)
            })
        self.data = StoreData(
            profile: profile, nextOrderID: 1_000_000 + slot * 10_000, nextItemID: 5_000_000 + slot * 100_000,
            nextShipmentID: 700_000 + slot * 10_000, nextInventoryID: 2_500 + slot * 1_000)
    }

    // MARK: Inventory

    private mutating func seedInventory() {
        for product in SeedCatalog.products {
            for value in product.option?.values.map(Optional.some) ?? [nil] {
                var item = InventoryItem(
                    id: data.nextInventoryID,
                    dateAdded: Timestamp.string(
                        fromUnix: Self.epoch - Int64(random.int(in: 30...400)) * 86_400 + Int64(random.int(in: 0...86_399))))
                data.nextInventoryID += 1
                item.dateUpdated = Timestamp.string(
                    fromUnix: Self.epoch - Int64(random.int(in: 1...29)) * 86_400 + Int64(random.int(in: 0...86_399)))
                item.name = value.map { "\(product.name) / \($0)" } ?? product.name
                item.code = Self.variantCode(product, value)
                item.price = product.price
                item.cost = Money.round(product.price * 0.45)
                item.weight = product.weight
                item.stock = random.chance(0.1) ? 0 : Int64(random.int(in: 1...150))
                item.location = random.pick(["", "", "Warehouse A", "Shelf B2"])
                item.updateSource = random.pick(["Shopify", "Order Desk", "API"])
                item.manufacturerSKU = random.chance(0.5) ? nil : "MFG-" + random.digits(6)
                if let option = product.option, let value { item.variationList = [option.name: .string(value)] }
                data.inventory[item.id] = item
            }
        }
    }

    // MARK: Orders

    private struct Person {
        var address: Address
        var email: String
        var customerID: String
    }

    private mutating func seedOrders() {
        let count = max(0, configuration.orders)
        let customers = (0..<max(3, count * 2 / 3)).map { makePerson(index: $0) }
        let step = count > 0 ? Self.span / Int64(count) : Self.span
        for index in 0..<count {
            let added = Self.epoch + Int64(index) * step + Int64(random.int(in: 0...Int(max(1, step / 2))))
            let age = Double(index) / Double(max(1, count))
            makeOrder(index: index, added: added, age: age, person: random.pick(customers))
        }
    }

    private mutating func makePerson(index: Int) -> Person {
        let first = random.pick(SeedCatalog.firstNames)
        let last = random.pick(SeedCatalog.lastNames)
        let place = random.pick(SeedCatalog.places)
        var address = Address()
        address.firstName = first
        address.lastName = last
        address.company = random.pick(SeedCatalog.companies)
        address.address1 = "\(random.int(in: 10...9999)) \(random.pick(SeedCatalog.streets))"
        address.address2 = random.chance(0.15) ? "Apt \(random.int(in: 1...40))" : ""
        address.city = place.city
        address.state = place.state
        address.postalCode = place.postalCode
        address.country = "US"
        address.phone = "\(place.areaCode)-555-\(random.digits(4))"
        let local = "\(first).\(last)".folding(options: .diacriticInsensitive, locale: nil).lowercased()
        let email = index % 5 == 4 ? "\(local)\(index)@example.com" : "\(local)@example.com"
        return Person(address: address, email: email, customerID: String(8_170_000 + index * 37))
    }

    private mutating func makeOrder(index: Int, added: Int64, age: Double, person: Person) {
        let folder = pickFolder(age: age)
        var order = Order(id: data.nextOrderID, folderID: folder.id, dateAdded: Timestamp.string(fromUnix: added))
        data.nextOrderID += 1

        order.email = person.email
        order.customerID = person.customerID
        order.customer = person.address
        order.shipping = person.address
        if random.chance(0.15) {
            // A gift: shipped to someone else.
            order.shipping = makePerson(index: 1000 + index).address
            order.checkoutData["Gift Message"] = .string(random.pick(SeedCatalog.giftMessages))
        }
        if random.chance(0.1) { order.checkoutData["Delivery Instructions"] = "Leave at the back door" }
        if random.chance(0.3) { order.orderMetadata["fraud_protection_score"] = .int(Int64(random.int(in: 0...40))) }
        order.ipAddress = "203.0.113.\(random.int(in: 1...254))"
        order.returnAddress = returnAddress()

        addItems(to: &order)
        let method = random.pick(SeedCatalog.shippingMethods)
        order.shippingMethod = method.name
        order.shippingTotal = method.cost
        order.handlingTotal = random.chance(0.1) ? 2.50 : 0
        order.taxTotal = Money.round(order.productTotal * random.pick(SeedCatalog.taxRates))
        if random.chance(0.2) { order.discounts = [pickDiscount(productTotal: order.productTotal)] }

        order.sourceName = random.pick(SeedCatalog.sources)
        order.sourceID = sourceID(for: order.sourceName, index: index, orderID: order.id)
        setPayment(of: &order, canceled: folder.name == "Canceled")

        var updated = added + Int64(random.int(in: 60...7200))
        order.history.append(
            HistoryEntry(
                sourceName: order.sourceName,
                note: order.sourceName == "Order Desk" ? "Order Created" : "Order Imported from \(order.sourceName)",
                dateAdded: order.dateAdded))
        if random.chance(0.25) {
            let noteTime = added + Int64(random.int(in: 600...36_000))
            order.notes.append(
                OrderNote(
                    dateAdded: Timestamp.string(fromUnix: noteTime), username: random.pick(SeedCatalog.noteAuthors),
                    content: random.pick(SeedCatalog.notes)))
            updated = max(updated, noteTime)
        }
        if folder.name != "New" {
            updated += Int64(random.int(in: 3600...86_400))
            order.history.append(
                HistoryEntry(
                    sourceName: "Order Desk", note: "Order Moved to \(folder.name) Folder",
                    dateAdded: Timestamp.string(fromUnix: updated)))
        }
        if folder.name == "Closed" {
            updated += Int64(random.int(in: 600...7200))
            addShipment(to: &order, at: updated)
        }
        order.dateUpdated = Timestamp.string(fromUnix: updated)
        data.orders[order.id] = order
    }

    private mutating func addItems(to order: inout Order) {
        var products = SeedCatalog.products
        for _ in 0..<random.int(in: 1...3) {
            let product = products.remove(at: random.int(in: 0...(products.count - 1)))
            var item = OrderItem(id: data.nextItemID)
            data.nextItemID += 1
            let value = product.option.map { random.pick($0.values) }
            item.name = value.map { "\(product.name) / \($0)" } ?? product.name
            item.code = Self.variantCode(product, value)
            item.price = product.price
            item.priceIsText = random.chance(0.25)
            item.quantity = random.chance(0.7) ? 1 : Int64(random.int(in: 2...3))
            item.weight = product.weight
            item.deliveryType = product.deliveryType
            item.categoryCode = product.category
            if let option = product.option, let value { item.variationList = [option.name: .string(value)] }
            if random.chance(0.3) {
                item.metadata = ["image": .string("https://example.com/images/\(item.code.lowercased()).jpg")]
            }
            order.items.append(item)
        }
    }

    private mutating func addShipment(to order: inout Order, at time: Int64) {
        var shipment = Shipment(id: data.nextShipmentID, orderID: order.id, storeID: profile.id)
        data.nextShipmentID += 1
        switch order.shippingMethod {
        case "UPS Ground":
            (shipment.carrierCode, shipment.shipmentMethod) = ("UPS", "Ground")
            shipment.trackingNumber = "1Z" + random.digits(16)
        case "FedEx 2Day":
            (shipment.carrierCode, shipment.shipmentMethod) = ("FedEx", "2Day")
            shipment.trackingNumber = random.digits(12)
        case "USPS First Class":
            (shipment.carrierCode, shipment.shipmentMethod) = ("USPS", "First Class")
            shipment.trackingNumber = "9400" + random.digits(18)
        default:
            (shipment.carrierCode, shipment.shipmentMethod) = ("USPS", "Priority")
            shipment.trackingNumber = "9405" + random.digits(18)
        }
        shipment.trackingURL = Shipment.trackingURL(carrier: shipment.carrierCode, number: shipment.trackingNumber)
        shipment.weight = Money.phpText(order.weightTotal)
        shipment.cost = random.chance(0.5) ? Money.fixed(Double(random.int(in: 400...1900)) / 100) : ""
        shipment.dateShipped = Timestamp.dateString(fromUnix: time)
        shipment.dateAdded = Timestamp.string(fromUnix: time)
        order.shipments.append(shipment)
        order.history.append(
            HistoryEntry(
                sourceName: "Order Desk", note: "Shipment Added: \(shipment.carrierCode) \(shipment.trackingNumber)",
                dateAdded: shipment.dateAdded))
    }

    private mutating func pickFolder(age: Double) -> Folder {
        let folders = profile.folders  // New, Prepared, Closed, Canceled
        if random.chance(0.04) { return folders[3] }
        let roll = random.int(in: 0...99)
        switch age {
        case ..<0.5: return roll < 88 ? folders[2] : folders[1]
        case ..<0.8: return roll < 45 ? folders[2] : roll < 85 ? folders[1] : folders[0]
        default: return roll < 75 ? folders[0] : folders[1]
        }
    }

    private mutating func pickDiscount(productTotal: Double) -> Discount {
        switch random.int(in: 0...2) {
        case 0: return Discount(name: "Spring sale", code: "SPRING5", amount: 5)
        case 1: return Discount(name: "Welcome 10%", code: "WELCOME10", amount: Money.round(productTotal * 0.1))
        default: return Discount(name: "Loyalty reward", code: "", amount: 3)
        }
    }

    private mutating func sourceID(for source: String, index: Int, orderID: Int64) -> String {
        switch source {
        case "Shopify": return String(1001 + index)
        case "Amazon": return "11\(random.digits(1))-\(random.digits(7))-\(random.digits(7))"
        case "eBay": return "\(random.digits(2))-\(random.digits(5))-\(random.digits(5))"
        case "Order Desk": return String(orderID)
        default: return String(100 + index)
        }
    }

    private mutating func setPayment(of order: inout Order, canceled: Bool) {
        order.paymentType = random.pick(SeedCatalog.paymentTypes)
        if order.paymentType == "PayPal" {
            order.processorResponse = "PayPal: " + random.digits(17)
        } else {
            order.ccNumberMasked = "xxxxxxxxxxxx" + random.digits(4)
            order.ccExp = String(format: "%02d/%d", random.int(in: 1...12), random.int(in: 2026...2030))
            order.processorResponse = "Stripe: ch_3N" + random.digits(12)
        }
        if canceled {
            order.paymentStatus = random.chance(0.5) ? "Voided" : "Fully Refunded"
            if order.paymentStatus == "Fully Refunded" { order.refundTotal = order.orderTotal }
        } else if random.chance(0.05) {
            order.paymentStatus = "Partially Refunded"
            order.refundTotal = Money.round(order.orderTotal * 0.2)
        } else {
            order.paymentStatus = random.chance(0.93) ? "Captured" : "Authorized"
        }
    }

    private func returnAddress() -> ReturnAddress {
        var address = ReturnAddress()
        address.title = profile.name
        address.name = "Shipping Department"
        address.company = profile.name
        address.address1 = "817 E Maple Ln"
        address.city = "Knoxville"
        address.state = "TN"
        address.postalCode = "37902"
        address.country = "US"
        return address
    }

    /// `3WOLF-XL` for "Three Wolf T-Shirt / X-Large": the base code plus the option value's initials.
    private static func variantCode(_ product: SeedCatalog.Product, _ value: String?) -> String {
        guard let value else { return product.code }
        let initials = value.split(whereSeparator: { $0 == " " || $0 == "-" }).compactMap(\.first)
        return product.code + "-" + String(initials).uppercased()
    }
}
