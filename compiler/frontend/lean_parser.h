// The generated PSL parser, less two dynamic_casts per rule, and a token
// stream less one per token.
//
// ANTLR 4.9's Parser::enterRule (through addContextToParseTree) and
// Parser::enterOuterAlt find a context's parent as a ParserRuleContext
// with dynamic_cast. In this parser every context is a ParserRuleContext,
// so a static_cast says the same; and a dynamic_cast here costs a strcmp
// of type names (the generated contexts' type_info lives in psc, the
// runtime's in its library), which was about 5% of parsing a 100k-rule
// policy. BufferedTokenStream::fetch likewise asks every token whether
// it is a WritableToken. Everything else is the runtime's.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

#include "antlr4-runtime.h"

#include "PolicyParser.h"

namespace psl::frontend {

class LeanPolicyParser : public psl_antlr::PolicyParser {
public:
  using psl_antlr::PolicyParser::PolicyParser;

  // As the runtime's, with the parent cast statically.
  void enterOuterAlt(antlr4::ParserRuleContext *localctx,
                     size_t altNum) override {
    localctx->setAltNumber(altNum);
    if (_buildParseTrees && _ctx != localctx && _ctx->parent != nullptr) {
      auto *parent = static_cast<antlr4::ParserRuleContext *>(_ctx->parent);
      parent->removeLastChild();
      parent->addChild(localctx);
    }
    _ctx = localctx;
  }

protected:
  // As the runtime's (called by enterRule), with the parent cast statically.
  void addContextToParseTree() override {
    if (_ctx->parent == nullptr)
      return;
    static_cast<antlr4::ParserRuleContext *>(_ctx->parent)->addChild(_ctx);
  }
};

// A CommonTokenStream for a lexer whose tokens come from one factory (the
// lexers here use the runtime's default, which makes CommonTokens): the
// first token is asked whether it is a WritableToken, the others are
// taken to be what the first one is.
class LeanTokenStream : public antlr4::CommonTokenStream {
public:
  using antlr4::CommonTokenStream::CommonTokenStream;

protected:
  // As the runtime's, with the one question asked once.
  size_t fetch(size_t n) override {
    if (_fetchedEOF)
      return 0;
    size_t i = 0;
    while (i < n) {
      std::unique_ptr<antlr4::Token> t = _tokenSource->nextToken();
      if (t && writable_ == Writable::Unknown)
        writable_ = dynamic_cast<antlr4::WritableToken *>(t.get())
                        ? Writable::Yes
                        : Writable::No;
      if (t && writable_ == Writable::Yes)
        static_cast<antlr4::WritableToken *>(t.get())->setTokenIndex(
            _tokens.size());
      _tokens.push_back(std::move(t));
      ++i;
      if (_tokens.back()->getType() == antlr4::Token::EOF) {
        _fetchedEOF = true;
        break;
      }
    }
    return i;
  }

private:
  enum class Writable { Unknown, Yes, No } writable_ = Writable::Unknown;
};

} // namespace psl::frontend
