import Hummingbird
import NIOCore

/// `GET /assets/site.css`, the pages' one stylesheet (the CSP allows styles from `'self'` only,
/// so there is no inline style anywhere).
enum Stylesheet {
    static func response() -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600",
                .xContentTypeOptions: "nosniff",
            ],
            body: .init(byteBuffer: ByteBuffer(string: css)))
    }

    static let css = """
        :root { color-scheme: light dark; --accent: #1f5fbf; --muted: #5b6470; --line: #c9ced6; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
        header.site { padding: 0.75rem 1.5rem; border-bottom: 1px solid var(--line); }
        .brand { margin: 0; font-weight: 600; }
        main { max-width: 36rem; margin: 2rem auto; padding: 0 1.5rem; }
        h1 { font-size: 1.5rem; margin: 0 0 1rem; }
        label { display: block; font-weight: 600; margin: 1rem 0 0.25rem; }
        input[type=email] { width: 100%; padding: 0.5rem; font: inherit; border: 1px solid var(--line); border-radius: 4px; }
        fieldset { border: 1px solid var(--line); border-radius: 4px; margin: 1rem 0; padding: 0.5rem 1rem 1rem; }
        legend { font-weight: 600; padding: 0 0.25rem; }
        fieldset label { display: inline; font-weight: normal; margin: 0 0 0 0.25rem; }
        .choice { margin: 0.4rem 0; }
        .nested { margin-left: 1.5rem; }
        button { font: inherit; padding: 0.5rem 1.25rem; border-radius: 4px; border: 1px solid var(--accent); cursor: pointer; }
        button.primary { background: var(--accent); color: #fff; }
        button.secondary { background: transparent; color: var(--accent); }
        .actions { display: flex; gap: 0.75rem; margin-top: 1.5rem; }
        .hint, .muted { color: var(--muted); font-size: 0.9rem; }
        .error { border-left: 4px solid #b3261e; padding: 0.25rem 0.75rem; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; }
        dt { font-weight: 600; }
        dd { margin: 0; overflow-wrap: anywhere; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: 0.4rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        :focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }

        """
}
