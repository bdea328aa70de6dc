import Testing

@testable import MCPServer

@Suite struct MediaTypeTests {
    @Test func parametersAndBlanksAreRemovedAndCaseIsFolded() {
        #expect(RequestValidation.mediaType("application/json") == "application/json")
        #expect(RequestValidation.mediaType(" Application/JSON ; charset=utf-8") == "application/json")
        #expect(RequestValidation.mediaType("\ttext/event-stream;q=0.9") == "text/event-stream")
        #expect(RequestValidation.mediaType("*/*") == "*/*")
        #expect(RequestValidation.mediaType("") == "")
        #expect(RequestValidation.mediaType("  ;charset=utf-8") == "")
        #expect(RequestValidation.mediaType("application/json\u{A0}") == "application/json\u{A0}")
    }
}
