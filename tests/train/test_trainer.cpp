// Training loop: learns a separable toy problem, writes its files, resumes exactly.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "nn/model_io.hpp"
#include "nn/safetensors.hpp"
#include "train/trainer.hpp"
#include "common/worst.hpp"

using namespace xrdid;

namespace {
// Four classes of 64-point patterns with different peak motifs (a global-average-pooled conv net
// is nearly shift-invariant, so classes must differ in shape, as phases do): one narrow peak, a
// pair, a triplet, one broad peak; positions jittered.
train::Dataset toy(int copies) {
  train::Dataset d;
  d.length = 64;
  d.class_names = {"a", "b", "c", "d"};
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> pos(12.0, 30.0);
  std::vector<float> p(64);
  for (int c = 0; c < 4; ++c)
    for (int k = 0; k < copies; ++k) {
      double mu = pos(rng);
      int peaks = c == 1 ? 2 : c == 2 ? 3 : 1;
      double var = c == 3 ? 16.0 : 1.5;
      for (int i = 0; i < 64; ++i) {
        double v = 0;
        for (int j = 0; j < peaks; ++j) v += std::exp(-0.5 * (i - mu - 9 * j) * (i - mu - 9 * j) / var);
        p[i] = static_cast<float>(v);
      }
      d.add(p.data(), c, c * copies + k);
    }
  return d;
}

train::TrainOptions tiny_opts(const std::filesystem::path& dir) {
  train::TrainOptions o;
  o.config = "tiny";
  o.epochs = 3;
  o.batch = 8;
  o.lr = 3e-3;
  o.augment = "none";
  o.out = (dir / "m.safetensors").string();
  o.progress = false;
  o.seed = 5;
  return o;
}
}  // namespace

TEST_CASE("training learns a separable toy problem and writes model, checkpoint and curve") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "xrdid_test_train";
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto d = toy(32);
  auto o = tiny_opts(dir);
  o.epochs = 12;
  std::ostringstream log;
  auto r = train::train_model(d, o, log);
  REQUIRE(r.curve.size() == 12);
  CHECK(r.curve.back().train.loss < r.curve.front().train.loss);
  CHECK(r.best_val.top5 == 100.0);  // 4 classes: top-5 always hits
  CHECK(r.best_val.top1 >= 60.0);   // chance is 25 %; ~95 % after 20 epochs
  CHECK(fs::exists(o.out));
  CHECK(fs::exists(o.out + ".ckpt"));
  std::ifstream csv(dir / "learning_curve.csv");
  std::string header;
  std::getline(csv, header);
  CHECK(header.rfind("epoch,lr,train_loss", 0) == 0);
  int rows = 0;
  for (std::string line; std::getline(csv, line);) ++rows;
  CHECK(rows == 12);
  CHECK(nn::read_model_metadata(o.out).at("class_names") == "[\"a\",\"b\",\"c\",\"d\"]");
  fs::remove_all(dir);
}

TEST_CASE("an interrupted run resumed from its checkpoint ends exactly like an uninterrupted one") {
  namespace fs = std::filesystem;
  fs::path d1 = fs::temp_directory_path() / "xrdid_test_resume1";
  fs::path d2 = fs::temp_directory_path() / "xrdid_test_resume2";
  for (auto& p : {d1, d2}) {
    fs::remove_all(p);
    fs::create_directories(p);
  }
  auto d = toy(8);
  std::ostringstream log;
  auto a = tiny_opts(d1);
  a.augment = "seed";  // augmentation draws must also resume exactly
  train::train_model(d, a, log);

  auto b = tiny_opts(d2);
  b.augment = "seed";
  b.interrupt_after = 10;  // stops before batch 3 of epoch 1 (22 training patterns, batch 8)
  auto r1 = train::train_model(d, b, log);
  CHECK(r1.interrupted);
  b.interrupt_after = 0;
  b.resume = true;
  auto r2 = train::train_model(d, b, log);
  CHECK_FALSE(r2.interrupted);
  REQUIRE(r2.curve.size() == 3);

  auto fa = nn::load_safetensors(a.out + ".ckpt");
  auto fb = nn::load_safetensors(b.out + ".ckpt");
  REQUIRE(fa.tensors.size() == fb.tensors.size());
  int compared = 0;
  for (auto& [name, t] : fa.tensors) {
    CHECK_MESSAGE(t.to_vector() == fb.get(name, b.out).to_vector(), name);
    ++compared;
  }
  CHECK(compared > 10);
  // Resuming with other options is refused rather than silently diverging.
  b.seed = 6;
  CHECK_THROWS_WITH(train::train_model(d, b, log), doctest::Contains("different data or options"));
  fs::remove_all(d1);
  fs::remove_all(d2);
}

TEST_CASE("measured augmentation trains deterministically and marks the model's input as cleaned") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "xrdid_test_train_measured";
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto d = toy(16);
  d.two_theta_start = 5.0;  // 64 points of 0.5°: 5..36.5° 2θ, so partial ranges cut real peaks
  d.two_theta_step = 0.5;
  auto o = tiny_opts(dir);
  o.augment = "measured";
  o.epochs = 4;
  std::ostringstream log1, log2;
  auto r1 = train::train_model(d, o, log1);
  const std::string first = o.out;
  o.out = (dir / "m2.safetensors").string();
  auto r2 = train::train_model(d, o, log2);
  REQUIRE(r1.curve.size() == 4);
  REQUIRE(r2.curve.size() == 4);
  for (std::size_t e = 0; e < 4; ++e) {
    CHECK(std::isfinite(r1.curve[e].train.loss));
    CHECK(r1.curve[e].train.loss == r2.curve[e].train.loss);  // same seed, same augmented batches
    CHECK(r1.curve[e].val.top1 == r2.curve[e].val.top1);
  }
  const auto meta = nn::read_model_metadata(first);
  CHECK(meta.at("augment") == "measured");
  CHECK(meta.at("input") == "cleaned");
  CHECK(std::stod(meta.at("input_exponent")) == 1.0);
  // Compressed inputs: recorded for identification; only with measured rows.
  o.input_exponent = 0.4;
  o.epochs = 1;
  o.out = (dir / "m3.safetensors").string();
  std::ostringstream log4;
  train::train_model(d, o, log4);
  CHECK(std::stod(nn::read_model_metadata(o.out).at("input_exponent")) == doctest::Approx(0.4));
  o.augment = "seed";
  CHECK_THROWS_WITH(train::train_model(d, o, log4), doctest::Contains("needs --augment measured"));
  o.input_exponent = 1.0;
  o.augment = "rotate";
  std::ostringstream log3;
  CHECK_THROWS(train::train_model(d, o, log3));
  fs::remove_all(dir);
}

// The planned engine (what --device cuda runs) on the CPU backend: the same training as the
// tape, and its own exact resume from a checkpoint. On the CPU both do the same roundings today;
// the tolerances leave room for reorderings, but note that biases followed by batch norm have a
// zero true gradient, so Adam (eps 1e-8) turns any rounding difference in them into steps of ~lr:
// a change of summation order shows up here first (tests/nn/test_executor.cpp explains).
TEST_CASE("the planned engine trains like the tape and resumes exactly") {
  namespace fs = std::filesystem;
  std::vector<fs::path> dirs;
  for (const char* n : {"xrdid_test_plan_tape", "xrdid_test_plan_a", "xrdid_test_plan_b"}) {
    dirs.push_back(fs::temp_directory_path() / n);
    fs::remove_all(dirs.back());
    fs::create_directories(dirs.back());
  }
  auto d = toy(8);
  std::ostringstream log;
  auto t = tiny_opts(dirs[0]);
  t.augment = "seed";
  t.loss = nn::Loss::AdaCos;
  auto rt = train::train_model(d, t, log);
  auto a = t;
  a.out = (dirs[1] / "m.safetensors").string();
  a.engine = train::Engine::Planned;
  auto ra = train::train_model(d, a, log);
  REQUIRE(ra.curve.size() == rt.curve.size());
  for (std::size_t e = 0; e < rt.curve.size(); ++e) {
    INFO("epoch " << e + 1);
    // Float sums in another order: ~1e-6 relative per step, a few hundred steps.
    CHECK(std::abs(ra.curve[e].train.loss - rt.curve[e].train.loss) <= 1e-3 * rt.curve[e].train.loss);
    CHECK(std::abs(ra.curve[e].val.loss - rt.curve[e].val.loss) <= 1e-3 * rt.curve[e].val.loss);
  }
  auto ft = nn::load_safetensors(t.out + ".ckpt"), fa = nn::load_safetensors(a.out + ".ckpt");
  REQUIRE(ft.tensors.size() == fa.tensors.size());
  double worst = 0;
  for (auto& [name, x] : ft.tensors) {
    auto u = x.to_vector(), v = fa.get(name, a.out).to_vector();
    REQUIRE(u.size() == v.size());
    for (std::size_t i = 0; i < u.size(); ++i)
      worst = xrdid::testing::worse(worst, std::abs(u[i] - v[i]) / (1 + std::abs(u[i])));
  }
  CHECK(worst <= 1e-3);
  CHECK(nn::read_model_metadata(t.out + ".ckpt").at("train_state").find("adacos_s") != std::string::npos);

  auto b = a;
  b.out = (dirs[2] / "m.safetensors").string();
  b.interrupt_after = 10;
  CHECK(train::train_model(d, b, log).interrupted);
  b.interrupt_after = 0;
  b.resume = true;
  CHECK_FALSE(train::train_model(d, b, log).interrupted);
  auto fb = nn::load_safetensors(b.out + ".ckpt");
  int compared = 0;
  for (auto& [name, x] : fa.tensors) {
    CHECK_MESSAGE(x.to_vector() == fb.get(name, b.out).to_vector(), name);
    ++compared;
  }
  CHECK(compared > 10);
  // SGD has no planned twin: refused with a reason.
  auto s = a;
  s.optimizer = nn::OptimizerKind::Sgd;
  CHECK_THROWS_WITH(train::train_model(d, s, log), doctest::Contains("adam or adamw"));
  for (auto& p : dirs) fs::remove_all(p);
}

TEST_CASE("training stops early on patience or on the time budget, with a checkpoint to resume from") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "xrdid_test_train_stop";
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto d = toy(8);
  std::ostringstream log;
  auto o = tiny_opts(dir);
  o.epochs = 6;
  o.lr = 1e-12;  // nothing improves after the first epoch
  o.patience = 2;
  auto r = train::train_model(d, o, log);
  CHECK(r.stopped_early);
  CHECK(r.curve.size() == 3);  // best at epoch 1, then two epochs without improvement
  CHECK(log.str().find("no better validation top-1 for 2 epochs") != std::string::npos);
  auto t = tiny_opts(dir);
  t.epochs = 6;
  t.max_seconds = 1e-9;
  auto rt = train::train_model(d, t, log);
  CHECK(rt.stopped_early);
  CHECK(rt.curve.size() == 1);
  CHECK(log.str().find("time budget") != std::string::npos);
  t.max_seconds = 0;
  t.resume = true;
  auto rr = train::train_model(d, t, log);
  CHECK_FALSE(rr.stopped_early);
  CHECK(rr.curve.size() == 6);
  fs::remove_all(dir);
}
