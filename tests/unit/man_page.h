// Reading the project's manual pages (man/, roff with the man(7) macros) in
// tests, so that what a page documents is checked against what the code
// does: a default or an option that changes on one side only fails a test.
//
// Only what these pages use is understood: .TP paragraphs whose first line
// is the tag, the font macros (.B .I .BR .BI .IR .RB ...; the alternating
// ones join their arguments without spaces), \- and \fX font escapes.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace man {

inline std::string read_page(const std::string& name) {
  std::ifstream in(std::string(MAN_DIR) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One roff line as text: macro name dropped, arguments unquoted and joined,
// escapes removed.
inline std::string flatten_line(const std::string& line) {
  std::string text = line;
  bool alternating = false;
  if (line.starts_with('.')) {
    size_t sp = line.find(' ');
    std::string macro = line.substr(1, sp == std::string::npos ? std::string::npos : sp - 1);
    alternating = macro.size() == 2 && std::string("BIR").find(macro[0]) != std::string::npos &&
                  std::string("BIR").find(macro[1]) != std::string::npos;
    std::vector<std::string> args;
    if (sp != std::string::npos) {
      std::string cur;
      bool quoted = false, in_arg = false;
      for (size_t i = sp + 1; i < line.size(); ++i) {
        char c = line[i];
        if (c == '"') {
          quoted = !quoted;
          in_arg = true;
        } else if (c == ' ' && !quoted) {
          if (in_arg) args.push_back(cur);
          cur.clear();
          in_arg = false;
        } else {
          cur += c;
          in_arg = true;
        }
      }
      if (in_arg) args.push_back(cur);
    }
    text.clear();
    for (size_t i = 0; i < args.size(); ++i) text += (i && !alternating ? " " : "") + args[i];
  }
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      char n = text[i + 1];
      if (n == '-') { out += '-'; ++i; continue; }
      if (n == 'f' && i + 2 < text.size()) { i += 2; continue; }  // \fB \fR \fP \fI
      if (n == '(' && i + 3 < text.size()) { out += '"'; i += 3; continue; }  // \(lq \(rq
    }
    out += text[i];
  }
  return out;
}

struct Paragraph {
  std::string tag;   // the .TP line after it, flattened
  std::string text;  // tag and body, flattened, one space between lines
};

// The .TP paragraphs of the section named `section` (.SH KEYS, OPTIONS...).
inline std::vector<Paragraph> tagged_paragraphs(const std::string& page,
                                                const std::string& section) {
  std::vector<Paragraph> out;
  std::istringstream in(page);
  std::string line;
  bool in_section = false, want_tag = false;
  while (std::getline(in, line)) {
    if (line.starts_with(".SH")) {
      in_section = flatten_line(line) == section;
      want_tag = false;
      continue;
    }
    if (!in_section) continue;
    if (line == ".TP") {
      want_tag = true;
      continue;
    }
    if (line == ".PP" || line == ".RS" || line == ".RE" || line.starts_with(".SS")) continue;
    std::string flat = flatten_line(line);
    if (want_tag) {
      out.push_back({flat, flat});
      want_tag = false;
    } else if (!out.empty()) {
      out.back().text += " " + flat;
    }
  }
  return out;
}

// The options a .TP tag names: "-f, --force" gives -f and --force,
// "--placement bootfs" gives --placement.
inline std::vector<std::string> options_in_tag(const std::string& tag) {
  std::vector<std::string> out;
  std::istringstream words(tag);
  std::string w;
  while (words >> w) {
    if (!w.starts_with('-') || w.size() < 2) continue;
    size_t end = 1;
    while (end < w.size() && (w[end] == '-' || (w[end] >= 'a' && w[end] <= 'z'))) ++end;
    out.push_back(w.substr(0, end));
  }
  return out;
}

}  // namespace man
