import CoreMetrics

/// The service's numbers for `/metrics`. Labels are small fixed sets: never a tenant, store, order,
/// key or session id.
public enum ServiceMetrics {
    /// A read through the shared order cache.
    static func cacheLookup(_ scope: OrderCache.Scope, hit: Bool) {
        Counter(
            label: "odmcp_cache_lookups_total", dimensions: [("scope", scope.rawValue), ("result", hit ? "hit" : "miss")]
        ).increment()
    }

    /// A call refused by a rate limit: `tenant` (the tenant's request budget) or `upstream` (the
    /// store's OrderDesk bucket).
    static func rateLimitDenied(_ limit: String) {
        Counter(label: "odmcp_rate_limit_denials_total", dimensions: [("limit", limit)]).increment()
    }

    /// A refused authentication that got no `auth.failed` audit row (`AuthFailureAuditSampler`).
    static func authFailureAuditSuppressed() {
        Counter(label: "odmcp_auth_failure_audit_suppressed_total").increment()
    }

    /// An OrderDesk webhook post, by outcome (`stored`, `duplicate`, `unknown_store`, `bad_signature`,
    /// `unsigned`, `invalid_payload`, `too_large`, `unsupported_media_type`, `rate_limited`, `failed`).
    public static func webhook(_ outcome: String) {
        Counter(label: "odmcp_webhooks_total", dimensions: [("outcome", outcome)]).increment()
    }

    /// A token request of grant type `authorization_code` or `refresh_token`, by outcome (`issued`,
    /// an `OAuthError.Reason` such as `reused` or `verifier_mismatch`, or `failed`).
    public static func oauthToken(grantType: String, outcome: String) {
        Counter(label: "odmcp_oauth_token_requests_total", dimensions: [("grant_type", grantType), ("outcome", outcome)])
            .increment()
    }

    /// A well-formed master key through the verified-key cache, by how it was answered (`hit`,
    /// `revalidated`, `verified`, `refused`). The hit rate is `hit / sum`; each `verified` is one
    /// argon2 run, `revalidated` is a lookup that spared one.
    static func keyCache(_ result: KeyCacheResult) {
        Counter(label: "odmcp_key_cache_total", dimensions: [("result", result.rawValue)]).increment()
    }

    /// A master key refused, by reason (`unknown_key`, `malformed`, `too_many_attempts`, …).
    static func authenticationFailed(_ reason: AuthenticationFailure.Reason) {
        Counter(label: "odmcp_auth_failures_total", dimensions: [("reason", reason.metricLabel)]).increment()
    }
}

extension AuthenticationFailure.Reason {
    var metricLabel: String {
        switch self {
        case .missing: "missing"
        case .malformed: "malformed"
        case .unknownKey: "unknown_key"
        case .revoked: "revoked"
        case .tenantDisabled: "tenant_disabled"
        case .invalidToken: "invalid_token"
        case .tooManyAttempts: "too_many_attempts"
        }
    }
}
