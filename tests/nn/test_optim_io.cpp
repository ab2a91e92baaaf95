// Optimisers against hand-computed PyTorch-semantics updates; safetensors round trip and refusal
// of truncated/corrupt files.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "nn/optim.hpp"
#include "nn/safetensors.hpp"

using namespace xrdid::nn;

TEST_CASE("Adam matches the torch.optim.Adam update over three steps") {
  Var p(Tensor::from_vector({2}, std::vector<double>{1.0, -2.0}), true);
  Adam adam({{"p", &p}}, 0.1, 0.9, 0.999, 1e-8, 0.0);
  const double g[3][2] = {{0.5, -1.0}, {0.25, 2.0}, {-0.75, 0.1}};
  double m[2] = {0, 0}, v[2] = {0, 0}, ref[2] = {1.0, -2.0};
  for (int t = 1; t <= 3; ++t) {
    p.grad_ref().data<double>()[0] = g[t - 1][0];
    p.grad_ref().data<double>()[1] = g[t - 1][1];
    adam.step();
    for (int i = 0; i < 2; ++i) {
      m[i] = 0.9 * m[i] + 0.1 * g[t - 1][i];
      v[i] = 0.999 * v[i] + 0.001 * g[t - 1][i] * g[t - 1][i];
      double mh = m[i] / (1 - std::pow(0.9, t));
      double denom = std::sqrt(v[i]) / std::sqrt(1 - std::pow(0.999, t)) + 1e-8;
      ref[i] -= 0.1 * mh / denom;  // torch: p -= (lr/bc1) * m / (sqrt(v)/sqrt(bc2) + eps)
    }
    CHECK(p.value().item(0) == doctest::Approx(ref[0]).epsilon(1e-12));
    CHECK(p.value().item(1) == doctest::Approx(ref[1]).epsilon(1e-12));
  }
  CHECK(adam.steps() == 3);
}

TEST_CASE("AdamW decays decoupled from the gradient; SGD momentum follows torch") {
  Var p(Tensor::from_vector({1}, std::vector<double>{2.0}), true);
  Adam w = make_adamw({{"p", &p}}, 0.1, 0.5);
  p.grad_ref().data<double>()[0] = 0.0;
  w.step();  // zero gradient: only the decay acts (m = v = 0 -> update 0)
  CHECK(p.value().item() == doctest::Approx(2.0 * (1 - 0.1 * 0.5)));

  Var q(Tensor::from_vector({1}, std::vector<double>{1.0}), true);
  Sgd sgd({{"q", &q}}, 0.1, 0.9);
  q.grad_ref().data<double>()[0] = 1.0;
  sgd.step();  // buf = 1
  CHECK(q.value().item() == doctest::Approx(0.9));
  sgd.step();  // buf = 0.9*1 + 1 = 1.9
  CHECK(q.value().item() == doctest::Approx(0.9 - 0.19));
}

TEST_CASE("safetensors round trip, and truncated or corrupt files are refused clearly") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "xrdid_test_st";
  fs::create_directories(dir);
  std::string path = (dir / "m.safetensors").string();
  Tensor a = Tensor::from_vector({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6.5f});
  Tensor b = Tensor::from_vector({1}, std::vector<double>{-7.25});
  Tensor c = Tensor::full({}, 42, DType::I64);
  save_safetensors(path, {{"a", &a}, {"b", &b}, {"step", &c}}, {{"config", "{\"name\":\"tiny\"}"}});
  auto f = load_safetensors(path);
  CHECK(f.metadata.at("config") == "{\"name\":\"tiny\"}");
  CHECK(f.get("a", path).shape() == Shape{2, 3});
  CHECK(f.get("a", path).item(5) == 6.5);
  CHECK(f.get("b", path).item(0) == -7.25);
  CHECK(f.get("step", path).item(0) == 42);
  // The first 8 bytes are the little-endian header length and the header is JSON.
  {
    std::ifstream in(path, std::ios::binary);
    unsigned char len[8];
    in.read(reinterpret_cast<char*>(len), 8);
    CHECK(len[7] == 0);
    char brace;
    in.read(&brace, 1);
    CHECK(brace == '{');
  }
  // assign_tensors: shape mismatch and missing names are refused.
  Tensor wrong = Tensor::zeros({3, 2});
  CHECK_THROWS_WITH(assign_tensors(f, path, {{"a", &wrong}}), doctest::Contains("shape mismatch"));
  Tensor other = Tensor::zeros({2, 3});
  CHECK_THROWS_WITH(assign_tensors(f, path, {{"zz", &other}}), doctest::Contains("missing tensors: zz"));
  assign_tensors(f, path, {{"a", &other}});
  CHECK(other.item(4) == 5.0);
  // Truncation at every length is refused with a message naming the file.
  auto full = fs::file_size(path);
  std::string bad = (dir / "bad.safetensors").string();
  for (std::uintmax_t cut : {std::uintmax_t{0}, std::uintmax_t{5}, std::uintmax_t{20}, full - 1}) {
    fs::copy_file(path, bad, fs::copy_options::overwrite_existing);
    fs::resize_file(bad, cut);
    CHECK_THROWS_WITH(load_safetensors(bad), doctest::Contains("bad.safetensors"));
  }
  CHECK_THROWS_WITH(load_safetensors((dir / "missing.safetensors").string()), doctest::Contains("cannot open"));
  // No temporary files are left behind by the atomic writer.
  int n = 0;
  for (auto& e : fs::directory_iterator(dir)) n += e.path().filename().string().find(".tmp") != std::string::npos;
  CHECK(n == 0);
  fs::remove_all(dir);
}

#include "nn/model_io.hpp"

TEST_CASE("model files round-trip weights, buffers and Adam state; wrong files are refused") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "xrdid_test_model";
  fs::create_directories(dir);
  std::string path = (dir / "tiny.safetensors").string();
  Rng rng(3);
  Net1D a(net1d_config("tiny"), rng);
  CosineHead ha(5, a.config().embedding_dim(), rng);
  auto params = a.named_parameters();
  Adam opt(params, 1e-3);
  for (auto& [n, p] : params) p->grad_ref().fill(0.5);
  opt.step();
  a.named_buffers()[0].second->fill(0.25);
  save_model(path, a, &ha, &opt, {{"labels", "[\"x\"]"}});

  CHECK(read_model_config(path).name == "tiny");
  CHECK(read_model_metadata(path).at("labels") == "[\"x\"]");
  Rng rng2(99);
  Net1D b(read_model_config(path), rng2);
  CosineHead hb(5, b.config().embedding_dim(), rng2);
  auto pb = b.named_parameters();
  Adam optb(pb, 1e-3);
  load_model(path, b, &hb, &optb);
  CHECK(optb.steps() == 1);
  for (std::size_t i = 0; i < params.size(); ++i)
    CHECK(pb[i].second->value().to_vector() == params[i].second->value().to_vector());
  CHECK(hb.weight.value().to_vector() == ha.weight.value().to_vector());
  CHECK(b.named_buffers()[0].second->item(0) == 0.25);

  CosineHead wrong(6, b.config().embedding_dim(), rng2);
  CHECK_THROWS_WITH(load_model(path, b, &wrong, nullptr), doctest::Contains("shape mismatch"));
  fs::resize_file(path, fs::file_size(path) / 2);
  CHECK_THROWS_WITH(load_model(path, b, &hb, nullptr), doctest::Contains("truncated"));
  fs::remove_all(dir);
}
