import Hummingbird

/// A header name. Hummingbird re-exports `HTTPFields` but not `HTTPField`, and swift-http-types is
/// not a direct dependency of the package, so the type is reached through `HTTPFields`.
typealias HTTPFieldName = HTTPFields.Element.Name
