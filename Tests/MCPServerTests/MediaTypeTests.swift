import Testing

@testable import MCPServer

@Suite struct MediaTypeTests {
    @Test func parametersAndBlanksAreRemovedAndCaseIsFolded() {
        #expect(MediaTypeMiddleware.mediaType("application/json") == "application/json")
        #expect(MediaTypeMiddleware.mediaType(" Application/JSON ; charset=utf-8") == "application/json")
        #expect(MediaTypeMiddleware.mediaType("\ttext/event-stream;q=0.9") == "text/event-stream")
        #expect(MediaTypeMiddleware.mediaType("*/*") == "*/*")
        #expect(MediaTypeMiddleware.mediaType("") == "")
        #expect(MediaTypeMiddleware.mediaType("  ;charset=utf-8") == "")
        #expect(MediaTypeMiddleware.mediaType("application/json\u{A0}") == "application/json\u{A0}")
    }
}
