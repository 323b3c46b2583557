// The PacketScope policy language (PSL): the only place the syntax lives.
// Reference: docs/language.md (the normative core plus the documented
// extensions). C++ is generated at build time (compiler/frontend).
//
// The lexer runs over bytes (one char per byte), so token columns are byte
// columns. Literal tokens are deliberately permissive (an IPv6 token may
// hold two '::', an IPv4 octet may be 999) so that a malformed literal is
// one token and gets one precise "invalid literal" diagnostic from the
// frontend instead of a confusing syntax error.
//
// Error recovery: an error anywhere inside a declaration aborts that whole
// declaration (one diagnostic per declaration); `decl` catches the abort and
// resynchronises at the next declaration keyword or the policy's '}'.
grammar Policy;

@parser::header {
#include "frontend/decl_abort.h"
}

// ------------------------------------------------------------------ parser

policyFile
  : policyDecl* EOF
  ;

// The name is optional in the grammar so that a missing or mistyped name
// (`policy {`, `policy "p" {`) does not lose the whole body; the frontend
// reports it.
policyDecl
  : POLICY IDENT? LBRACE decl* RBRACE
  ;

decl
  : constDecl
  | setDecl
  | protectDecl
  | ruleDecl
  | defaultDecl
  | testDecl
  ;
  catch [psl::frontend::DeclAbort &] {
    _localctx->exception = std::current_exception();
    psl::frontend::resync_after_decl(this);
  }
  catch [RecognitionException &e] {
    _errHandler->reportError(this, e);
    _localctx->exception = std::current_exception();
    psl::frontend::resync_after_decl(this);
  }

constDecl
  : CONST IDENT ASSIGN expr
  ;

// set NAME : TYPE dynamic [ttl D] [capacity N]   (options in any order)
setDecl
  : SET IDENT COLON IDENT DYNAMIC setOption*
  ;

setOption
  : TTL durationLit     # setTtl
  | CAPACITY numberLit  # setCapacity
  ;

protectDecl
  : PROTECT expr
  ;

// rule NAME: COND => ACTION [ttl D] [shadow]   (modifiers in any order)
ruleDecl
  : RULE IDENT COLON expr ARROW ruleAction ruleModifier*
  ;

ruleAction
  : PASS | DROP | COUNT
  ;

ruleModifier
  : TTL durationLit     # ruleTtl
  | SHADOW            # ruleShadow
  ;

defaultDecl
  : DEFAULT (PASS | DROP)
  ;

testDecl
  : TEST stringLit LBRACE testPacket* RBRACE
  ;

// packet { f = v, ... } [x N [within D]] => pass|drop [(>=|<=|==|>|<) N]
// `x` is a contextual word (an IDENT checked by the frontend).
testPacket
  : PACKET LBRACE (fieldAssign (COMMA fieldAssign)* COMMA?)? RBRACE
    (IDENT numberLit (WITHIN durationLit)?)?
    ARROW verdict=(PASS | DROP) (countOp numberLit)?
  ;

fieldAssign
  : FIELD ASSIGN operand
  ;

countOp
  : EQ | GE | LE | GT | LT
  ;

// Precedence, loosest first: or < and < not < comparison.
expr
  : andExpr (OR andExpr)*
  ;

andExpr
  : notExpr (AND notExpr)*
  ;

notExpr
  : NOT notExpr      # notNot
  | cmpExpr          # notCmp
  ;

cmpExpr
  : operand (cmpOp operand | NOT? IN operand)?
  ;

cmpOp
  : EQ | NE | LT | LE | GT | GE
  ;

// A range lo..hi is an operand: `tcp.dport in 1024..65535`, `{ 1..9 }`.
operand
  : primary (DOTDOT primary)?
  ;

primary
  : literalValue                                        # literalPrimary
  | FIELD                                               # fieldPrimary
  | IDENT LPAREN (callArg (COMMA callArg)*)? RPAREN      # callPrimary
  | IDENT                                               # namePrimary
  | LBRACE (operand (COMMA operand)* COMMA?)? RBRACE    # setPrimary
  | LPAREN expr RPAREN                                  # parenPrimary
  ;

// rate(KEY, ..., burst N), proto(47)
callArg
  : BURST numberLit   # burstArg
  | expr              # exprArg
  ;

literalValue
  : INT | HEX_INT | IPV4 | IPV6 | MAC | DURATION | RATE | TRUE | FALSE
  | BAD_NUMBER    // reported by the frontend (E0103)
  ;

// INT here gets "missing unit" from the frontend instead of a syntax error.
durationLit
  : DURATION | INT | BAD_NUMBER
  ;

numberLit
  : INT | HEX_INT
  ;

stringLit
  : STRING | UNTERMINATED_STRING
  ;

// ------------------------------------------------------------------- lexer

// Keywords are reserved. `rate`, `proto` and `x` are contextual (IDENT).
POLICY   : 'policy';
CONST    : 'const';
PROTECT  : 'protect';
SET      : 'set';
DYNAMIC  : 'dynamic';
TTL      : 'ttl';
CAPACITY : 'capacity';
RULE     : 'rule';
DEFAULT  : 'default';
TEST     : 'test';
PACKET   : 'packet';
WITHIN   : 'within';
PASS     : 'pass';
DROP     : 'drop';
COUNT    : 'count';
SHADOW   : 'shadow';
AND      : 'and';
OR       : 'or';
NOT      : 'not';
IN       : 'in';
BURST    : 'burst';
TRUE     : 'true';
FALSE    : 'false';

ARROW  : '=>';
EQ     : '==';
NE     : '!=';
LE     : '<=';
GE     : '>=';
LT     : '<';
GT     : '>';
ASSIGN : '=';
LPAREN : '(';
RPAREN : ')';
LBRACE : '{';
RBRACE : '}';
COMMA  : ',';
COLON  : ':';
DOTDOT : '..';

// 10.0.0.1, 10.0.0.0/8 (octets and prefix validated by the frontend).
IPV4 : IPV4_ADDR PREFIX? ;

// An IPv6 token needs '::' or eight groups (or six groups and an IPv4
// tail), so `rule dead: ...`, `set x : ip` and MACs never lex as IPv6.
IPV6
  : ( (HEXS ':')* HEXS? '::' (HEXS? ':')* (HEXS | IPV4_ADDR)?
    | HEXS ':' HEXS ':' HEXS ':' HEXS ':' HEXS ':' HEXS ':' HEXS ':' HEXS (':' HEXS)*
    | HEXS ':' HEXS ':' HEXS ':' HEXS ':' HEXS ':' HEXS ':' IPV4_ADDR
    ) PREFIX?
  ;

MAC : HEX HEX ':' HEX HEX ':' HEX HEX ':' HEX HEX ':' HEX HEX ':' HEX HEX ;

HEX_INT : '0x' HEX+ ;

// 100/s 10k/s 2M/s 1G/s, 10Mbit/s ...
RATE : DIGIT+ [kMG]? 'bit'? '/s' ;

// 500ms 10s 5m 1h
DURATION : DIGIT+ ('ms' | 's' | 'm' | 'h') ;

INT : DIGIT+ ;

// A number run together with letters, dots or a bad unit that no rule
// above takes whole: 10sec, 0xZZ, 1.2.3, 10K/s. Longest match makes it
// win over a shorter good prefix; it is reported as an invalid literal.
BAD_NUMBER
  : DIGIT [0-9a-zA-Z_]* ('.' [0-9a-zA-Z_]+)* ('/' [a-zA-Z]+)?
  ;

// ip.src, tcp.dport (whether the field exists is checked later).
FIELD : IDENT_PART ('.' IDENT_PART)+ ;

IDENT : IDENT_PART ;

STRING : '"' (ESC | ~["\\\r\n])* '"' ;
UNTERMINATED_STRING : '"' (ESC | ~["\\\r\n])* ;

COMMENT : '#' ~[\r\n]* -> channel(HIDDEN) ;

// A UTF-8 byte-order mark at the start of a file is whitespace.
WS : ([ \t\r\n\f]+ | '\u00EF\u00BB\u00BF') -> skip ;

// Operators from other languages: one diagnostic each, with a hint.
C_AND : '&&' -> channel(HIDDEN) ;
C_OR  : '||' -> channel(HIDDEN) ;
C_NOT : '!' -> channel(HIDDEN) ;

// Any other character (a whole UTF-8 sequence at a time): E0102.
ERROR_CHAR
  : ( [\u00C0-\u00FF] [\u0080-\u00BF]* | . ) -> channel(HIDDEN)
  ;

fragment IDENT_PART : [a-zA-Z_] [a-zA-Z0-9_]* ;
fragment DIGIT : [0-9] ;
fragment HEX : [0-9a-fA-F] ;
fragment HEXS : HEX+ ;
fragment IPV4_ADDR : DIGIT+ '.' DIGIT+ '.' DIGIT+ '.' DIGIT+ ;
fragment PREFIX : '/' DIGIT+ ;
fragment ESC : '\\' ~[\r\n] ;
