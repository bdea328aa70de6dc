/// The frame every page shares: language, character set, title, the one stylesheet, and a main
/// landmark with the page's heading (accessible by structure; no script anywhere).
enum PageLayout {
    static func document(title: String, body: HTML) -> HTML {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>\(title) · OrderDesk MCP</title>
        <link rel="stylesheet" href="/assets/site.css">
        </head>
        <body>
        <header class="site"><p class="brand">OrderDesk MCP</p></header>
        <main>
        <h1>\(title)</h1>
        \(body)
        </main>
        </body>
        </html>

        """
    }

    /// A page that only explains something (an error, "check your mail").
    static func message(title: String, paragraphs: [String]) -> HTML {
        document(title: title, body: "\(paragraphs.map { "<p>\($0)</p>\n" as HTML })")
    }
}
