#pragma once
#include <fstream>
#include <sstream>
#include <string>

inline std::string read_sample(const std::string& name) {
  std::ifstream in(std::string(SAMPLES_DIR) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
