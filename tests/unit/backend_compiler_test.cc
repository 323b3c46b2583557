// BpfCompiler: eBPF C in memory -> BPF ELF in memory, in this process.
// Needs no privileges and no BPF support in the kernel.
#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "backend/clang_compiler.h"

namespace psl::backend {
namespace {

std::string read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string test_data(const std::string &name) {
  return read_file(std::string(PSC_BACKEND_TEST_DATA) + "/" + name);
}

// 1-based line of the first line containing `marker`, 0 if none.
uint32_t line_of(const std::string &text, const std::string &marker) {
  std::istringstream in(text);
  std::string line;
  for (uint32_t n = 1; std::getline(in, line); ++n)
    if (line.find(marker) != std::string::npos)
      return n;
  return 0;
}

// Section names of a little-endian ELF64 image.
std::vector<std::string> section_names(const std::vector<uint8_t> &elf) {
  auto u16 = [&](size_t at) {
    return static_cast<size_t>(elf.at(at) | (elf.at(at + 1) << 8));
  };
  auto u64 = [&](size_t at) {
    size_t v = 0;
    for (int i = 7; i >= 0; --i)
      v = (v << 8) | elf.at(at + static_cast<size_t>(i));
    return v;
  };
  const size_t shoff = u64(0x28), shentsize = u16(0x3a), shnum = u16(0x3c),
               shstrndx = u16(0x3e);
  const size_t strtab = u64(shoff + shstrndx * shentsize + 0x18);
  std::vector<std::string> names;
  for (size_t i = 0; i < shnum; ++i) {
    const size_t name_off =
        elf.at(shoff + i * shentsize) |
        (static_cast<size_t>(elf.at(shoff + i * shentsize + 1)) << 8);
    names.emplace_back(
        reinterpret_cast<const char *>(&elf.at(strtab + name_off)));
  }
  return names;
}

bool has_section(const std::vector<uint8_t> &elf, const std::string &name) {
  const std::vector<std::string> names = section_names(elf);
  return std::find(names.begin(), names.end(), name) != names.end();
}

CompileOptions template_options() {
  CompileOptions options;
  options.include_dirs.push_back(PSC_BPF_TEMPLATES_DIR);
  return options;
}

TEST(BpfCompilerTest, CompilesToBpfElfWithBtf) {
  BpfCompiler compiler;
  CompileResult result = compiler.compile(test_data("udp9_drop.c"), "udp9.c");
  ASSERT_TRUE(result.ok()) << result.format_diagnostics();
  EXPECT_EQ(result.error_count, 0u);
  const std::vector<uint8_t> &elf = result.object;
  ASSERT_GT(elf.size(), 64u);
  EXPECT_EQ(0, std::memcmp(elf.data(),
                           "\x7f"
                           "ELF",
                           4));
  EXPECT_EQ(elf[4], 2); // ELFCLASS64
  EXPECT_EQ(elf[5], 1); // little endian (bpfel)
  const uint16_t machine = static_cast<uint16_t>(elf[18] | (elf[19] << 8));
  EXPECT_EQ(machine, 247); // EM_BPF
  EXPECT_TRUE(has_section(elf, "xdp"));
  EXPECT_TRUE(has_section(elf, ".maps"));
  EXPECT_TRUE(has_section(elf, ".BTF"));     // from -g
  EXPECT_TRUE(has_section(elf, ".BTF.ext")); // line info for the verifier
}

TEST(BpfCompilerTest, UndeclaredIdentifierIsAStructuredError) {
  const std::string text = test_data("syntax_error.c");
  const uint32_t line = line_of(text, "EXPECT-ERROR");
  ASSERT_NE(line, 0u);

  testing::internal::CaptureStderr();
  CompileResult result = BpfCompiler().compile(text, "broken.c");
  const std::string printed = testing::internal::GetCapturedStderr();

  EXPECT_FALSE(result.ok());
  EXPECT_TRUE(result.object.empty());
  EXPECT_EQ(result.error_count, 1u);
  const CDiagnostic *error = result.first_error();
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->file, "broken.c");
  EXPECT_EQ(error->line, line);
  // Column of the identifier, counting bytes from 1.
  std::istringstream in(text);
  std::string source_line;
  for (uint32_t n = 0; n < line; ++n)
    std::getline(in, source_line);
  EXPECT_EQ(error->column, source_line.find("undeclared_counter") + 1);
  EXPECT_TRUE(error->in_main_file);
  EXPECT_EQ(error->message,
            "use of undeclared identifier 'undeclared_counter'");
  EXPECT_EQ(format_diagnostic(*error),
            "broken.c:" + std::to_string(line) + ":" +
                std::to_string(error->column) +
                ": error: use of undeclared identifier 'undeclared_counter'");
  EXPECT_EQ(printed, "") << "clang must not print";
}

TEST(BpfCompilerTest, ErrorsInMemoryHeadersNameTheHeader) {
  CompileInput input;
  input.name = "main.c";
  input.text = "#include \"gen.h\"\nint f(void) { return GEN; }\n";
  input.extra_files["gen.h"] = "#define GEN 1\nint g(void) { return x; }\n";
  CompileResult result = BpfCompiler().compile(input);
  ASSERT_EQ(result.error_count, 1u) << result.format_diagnostics();
  const CDiagnostic *error = result.first_error();
  EXPECT_EQ(error->file, "gen.h");
  EXPECT_EQ(error->line, 2u);
  EXPECT_EQ(error->column, 22u);
  EXPECT_FALSE(error->in_main_file);
}

TEST(BpfCompilerTest, MissingHeaderIsReportedAtTheInclude) {
  CompileResult result =
      BpfCompiler().compile("int a;\n#include \"no_such_header.h\"\n", "m.c");
  ASSERT_FALSE(result.ok());
  const CDiagnostic *error = result.first_error();
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->line, 2u);
  EXPECT_NE(error->message.find("no_such_header.h"), std::string::npos)
      << error->message;
}

TEST(BpfCompilerTest, WarningsAreCollectedWithTheirFlag) {
  CompileOptions options;
  options.extra_args.push_back("-Wall");
  CompileResult result = BpfCompiler(options).compile(
      "int f(void) {\n  int unused;\n  return 0;\n}\n", "w.c");
  ASSERT_TRUE(result.ok()) << result.format_diagnostics();
  ASSERT_EQ(result.warning_count, 1u);
  EXPECT_EQ(result.diagnostics[0].level, CDiagnostic::Level::Warning);
  EXPECT_EQ(result.diagnostics[0].option, "-Wunused-variable");
  EXPECT_EQ(result.diagnostics[0].line, 2u);

  options.warnings_as_errors = true;
  CompileResult strict = BpfCompiler(options).compile(
      "int f(void) {\n  int unused;\n  return 0;\n}\n", "w.c");
  EXPECT_FALSE(strict.ok());
  EXPECT_EQ(strict.error_count, 1u);
}

TEST(BpfCompilerTest, DefinesReachThePreprocessor) {
  CompileOptions options;
  options.defines.emplace_back("PSC_ANSWER", "42");
  CompileResult result = BpfCompiler(options).compile(
      "#if PSC_ANSWER != 42\n#error wrong\n#endif\nint x;\n", "d.c");
  EXPECT_TRUE(result.ok()) << result.format_diagnostics();
}

TEST(BpfCompilerTest, CompilesTheTemplates) {
  BpfCompiler compiler(template_options());
  CompileResult mine =
      compiler.compile(test_data("templates_udp9.c"), "templates_udp9.c");
  EXPECT_TRUE(mine.ok()) << mine.format_diagnostics();
  const std::string entry =
      read_file(std::string(PSC_BPF_TEMPLATES_DIR) + "/psl_entry.c");
  ASSERT_FALSE(entry.empty());
  CompileResult sample = compiler.compile(entry, "psl_entry.c");
  EXPECT_TRUE(sample.ok()) << sample.format_diagnostics();
}

TEST(BpfCompilerTest, CpuSelectsTheInstructionSet) {
  for (const char *cpu : {"v1", "v2", "v3"}) {
    CompileOptions options;
    options.cpu = cpu;
    CompileResult result =
        BpfCompiler(options).compile(test_data("udp9_drop.c"), "udp9.c");
    EXPECT_TRUE(result.ok()) << cpu << "\n" << result.format_diagnostics();
  }
  CompileOptions bad;
  bad.cpu = "v99";
  CompileResult result = BpfCompiler(bad).compile("int x;\n", "x.c");
  EXPECT_FALSE(result.ok());
  ASSERT_NE(result.first_error(), nullptr);
  EXPECT_NE(result.first_error()->message.find("v99"), std::string::npos);
}

// The daemon compiles many policies in one process: results must not
// depend on what was compiled before, nor on another thread compiling.
TEST(BpfCompilerTest, RepeatedAndConcurrentCompilesAreIdentical) {
  BpfCompiler compiler(template_options());
  const std::string text = test_data("templates_udp9.c");
  const CompileResult first = compiler.compile(text, "p.c");
  ASSERT_TRUE(first.ok()) << first.format_diagnostics();

  for (int i = 0; i < 5; ++i) {
    CompileResult broken = compiler.compile("int f( {", "bad.c");
    EXPECT_FALSE(broken.ok());
    CompileResult again = compiler.compile(text, "p.c");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again.object, first.object) << "compile " << i;
  }

  std::vector<std::vector<uint8_t>> objects(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < objects.size(); ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i)
        objects[t] = compiler.compile(text, "p.c").object;
    });
  for (std::thread &t : threads)
    t.join();
  for (const std::vector<uint8_t> &object : objects)
    EXPECT_EQ(object, first.object);
}

// Errors found by the BPF code generator, after Clang's checks, come back
// as diagnostics too (with the C line from debug info), not as a crash.
TEST(BpfCompilerTest, BpfBackendErrorsAreDiagnostics) {
  const BpfCompiler compiler;
  CompileResult stack = compiler.compile("int f(int i) {\n"
                                         "  volatile char big[1024];\n"
                                         "  big[i & 1023] = 1;\n"
                                         "  return big[(i + 1) & 1023];\n"
                                         "}\n",
                                         "stack.c");
  EXPECT_FALSE(stack.ok());
  ASSERT_NE(stack.first_error(), nullptr);
  EXPECT_NE(stack.first_error()->message.find("stack limit"), std::string::npos)
      << stack.format_diagnostics();

  CompileResult args =
      compiler.compile("int g(int, int, int, int, int, int);\n"
                       "int f(void) { return g(1, 2, 3, 4, 5, 6); }\n",
                       "args.c");
  EXPECT_FALSE(args.ok());
  ASSERT_NE(args.first_error(), nullptr) << args.format_diagnostics();
  EXPECT_EQ(args.first_error()->file, "args.c");

  // The compiler is still usable afterwards.
  EXPECT_TRUE(compiler.compile("int x;\n", "x.c").ok());
}

TEST(BpfCompilerTest, AbsoluteMainFileNameIsRejected) {
  CompileResult result = BpfCompiler().compile("int x;\n", "/etc/x.c");
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.error_count, 1u);
}

} // namespace
} // namespace psl::backend
