import CCurl

/// libcurl's process-wide initialisation, done exactly once.
///
/// `curl_global_init` must run before any other libcurl call and, before libcurl 7.84 (or without
/// the `CURL_VERSION_THREADSAFE` feature), must not run concurrently with anything else in libcurl.
/// A Swift `static let` is initialised lazily under `swift_once`, so the first client to be created
/// runs it once and every other thread waits for it to finish. Public so every libcurl user in the
/// process (the OrderDesk client, the OAuth client-metadata fetcher, the mail sender) goes through
/// this one `swift_once`.
public enum CurlRuntime {
    private static let initialisation: CURLcode = curl_global_init(Int(CURL_GLOBAL_ALL))

    /// True when libcurl initialised; creating a handle without that would be undefined behaviour.
    public static func ensureInitialised() -> Bool {
        initialisation == CURLE_OK
    }
}
