/// The word lists seeded orders are made from: plausible products, people and places.
enum SeedCatalog {
    struct Product {
        let name: String
        let code: String
        let price: Double
        let weight: Double
        /// Option name and its values, e.g. ("Size", ["Small", "Medium"]).
        let option: (name: String, values: [String])?
        let deliveryType: String
        let category: String
    }

    static let products: [Product] = [
        Product(
            name: "Three Wolf T-Shirt", code: "3WOLF", price: 19.50, weight: 0.5,
            option: ("Size", ["Small", "Medium", "Large", "X-Large"]), deliveryType: "ship", category: "APPAREL"),
        Product(
            name: "Canvas Tote Bag", code: "TOTE-CNV", price: 14.00, weight: 0.4, option: nil, deliveryType: "ship",
            category: "DEFAULT"),
        Product(
            name: "Enamel Camp Mug", code: "MUG-ENM", price: 12.95, weight: 0.7,
            option: ("Color", ["White", "Navy", "Forest"]), deliveryType: "ship", category: "HOME"),
        Product(
            name: "Sticker Pack", code: "STK-PACK", price: 5.50, weight: 0.1, option: nil, deliveryType: "ship",
            category: "DEFAULT"),
        Product(
            name: "Wool Beanie", code: "BEANIE-WL", price: 22.00, weight: 0.3,
            option: ("Color", ["Charcoal", "Rust", "Black"]), deliveryType: "ship", category: "APPAREL"),
        Product(
            name: "Trail Water Bottle", code: "BOTTLE-TR", price: 18.75, weight: 0.9, option: nil,
            deliveryType: "ship", category: "OUTDOOR"),
        Product(
            name: "Leather Notebook", code: "NOTE-LTH", price: 27.00, weight: 0.6, option: nil, deliveryType: "ship",
            category: "DEFAULT"),
        Product(
            name: "Organic Coffee Beans 12oz", code: "COFFEE-12", price: 16.50, weight: 0.75,
            option: ("Grind", ["Whole Bean", "Drip", "Espresso"]), deliveryType: "ship", category: "FOOD"),
        Product(
            name: "Hiking Socks", code: "SOCK-HK", price: 11.25, weight: 0.2,
            option: ("Size", ["Medium", "Large"]), deliveryType: "ship", category: "APPAREL"),
        Product(
            name: "Desk Plant", code: "PLANT-DSK", price: 24.00, weight: 1.8, option: nil, deliveryType: "ship",
            category: "HOME"),
        Product(
            name: "Phone Case", code: "CASE-PH", price: 15.99, weight: 0.15,
            option: ("Model", ["iPhone 15", "Pixel 8", "Galaxy S24"]), deliveryType: "ship", category: "DEFAULT"),
        Product(
            name: "Gift Card $25", code: "GIFT-25", price: 25.00, weight: 0, option: nil, deliveryType: "noship",
            category: "GIFT"),
        Product(
            name: "Poster Print 18x24", code: "PRINT-1824", price: 30.00, weight: 0.5, option: nil,
            deliveryType: "ship", category: "ART"),
        Product(
            name: "Field Guide eBook", code: "EBOOK-FG", price: 9.99, weight: 0, option: nil,
            deliveryType: "download", category: "DIGITAL"),
    ]

    static let firstNames = [
        "Jane", "Jimmy", "Maria", "Wei", "Aisha", "Carlos", "Priya", "Liam", "Sofia", "Noah", "Emma", "Mateo",
        "Olivia", "Hiroshi", "Fatima", "Lucas", "Chloe", "Kwame", "Ingrid", "Diego",
    ]
    static let lastNames = [
        "Dean", "Nguyen", "Garcia", "Smith", "Okafor", "Chen", "Patel", "Johnson", "Rossi", "Kim", "Müller",
        "Lopez", "Brown", "Tanaka", "Haddad", "Silva", "Martin", "Mensah", "Larsen", "Walker",
    ]
    static let companies = ["", "", "", "", "Acme Manufacturing", "Blue Harbor Cafe", "Northwind Traders", "Initech"]
    static let streets = [
        "Emmet St", "Lord Business Ave", "Maple Ln", "Oak Ridge Rd", "Harbor Blvd", "Pine St", "Elm Ct",
        "Sunset Dr", "Main St", "River Rd",
    ]
    static let places: [(city: String, state: String, postalCode: String, areaCode: String)] = [
        ("Nashville", "TN", "37203", "615"), ("Knoxville", "TN", "37902", "865"), ("Austin", "TX", "78701", "512"),
        ("Portland", "OR", "97205", "503"), ("Denver", "CO", "80202", "303"), ("Boston", "MA", "02108", "617"),
        ("Chicago", "IL", "60601", "312"), ("Seattle", "WA", "98101", "206"), ("Atlanta", "GA", "30303", "404"),
        ("San Diego", "CA", "92101", "619"), ("Madison", "WI", "53703", "608"), ("Phoenix", "AZ", "85004", "602"),
    ]
    static let sources = ["Shopify", "Shopify", "WooCommerce", "BigCommerce", "Amazon", "eBay", "Order Desk"]
    static let shippingMethods: [(name: String, cost: Double)] = [
        ("USPS Priority", 7.95), ("USPS First Class", 4.50), ("UPS Ground", 9.25), ("FedEx 2Day", 18.40),
        ("Free Shipping", 0),
    ]
    static let paymentTypes = ["Visa", "Visa", "MasterCard", "American Express", "Discover", "PayPal"]
    static let taxRates = [0, 0.06, 0.07, 0.0825, 0.0925]
    static let notes = [
        "Customer called to change shipping address",
        "Please double-box, customer reported damage last time",
        "Gift order: do not include the packing slip prices",
        "Customer asked about expedited shipping",
        "Address verified by phone",
    ]
    static let noteAuthors = ["Customer Service Rep", "Warehouse", "Jane (Support)"]
    static let giftMessages = ["Happy Birthday!", "Congratulations on the new job", "Thinking of you", "Happy holidays"]
}
