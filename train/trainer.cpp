// The training loop; see trainer.hpp.
#include "train/trainer.hpp"

#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <iomanip>
#include <map>
#include <numeric>
#include <ostream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "augment/grid_measurement.hpp"
#include "augment/seed_augment.hpp"
#include "common/atomic_file.hpp"
#include "io/svg_plot.hpp"
#include "nn/functional.hpp"
#include "nn/model_io.hpp"
#include "common/random.hpp"
#include "nn/optim.hpp"
#include "denoise/model_input.hpp"
#include "train/step_engine.hpp"

namespace xrdid::train {

namespace {

using json = nlohmann::json;

std::uint64_t derive(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0) {
  return common::hash_bits(common::hash_bits(seed, a), b);
}

struct Batch {
  nn::Tensor x;
  std::vector<std::int64_t> y;
};

// What a batch row goes through: nothing; the seed's augmentation (docs/method.md §5.1); or the
// imitation of a measurement (augment/grid_measurement.hpp: broadening, Kα2, strain + zero
// shift, counts + background + noise, partial range) followed by the clean-up identification
// applies to every query; `clean` is that clean-up alone (validation of a `measured` run).
enum class RowMode { none, seed, measured, clean };

RowMode row_mode(const std::string& augment) {
  if (augment == "seed") return RowMode::seed;
  if (augment == "measured") return RowMode::measured;
  XRDID_CHECK(augment == "none", "unknown augmentation '" + augment + "' (seed, measured, none)");
  return RowMode::none;
}

// Builds batch `b` of an epoch: rows order[b*B ...], augmented with per-sample seeds derived
// from (seed, epoch, position) so that the batch does not depend on what ran before it.
Batch make_batch(const Dataset& d, const std::vector<std::size_t>& order, std::size_t b, int B, RowMode mode,
                 double exponent, std::uint64_t seed, int epoch) {
  const std::size_t lo = b * static_cast<std::size_t>(B);
  const std::size_t hi = std::min(order.size(), lo + static_cast<std::size_t>(B));
  Batch out;
  out.x = nn::Tensor::empty({static_cast<std::int64_t>(hi - lo), 1, d.length});
  float* px = out.x.data<float>();
  const auto L = static_cast<std::size_t>(d.length);
  for (std::size_t i = lo; i < hi; ++i) {
    float* dst = px + (i - lo) * L;
    std::copy(d.row(order[i]), d.row(order[i]) + d.length, dst);
    std::mt19937_64 rng(derive(seed, 1000003ull + static_cast<std::uint64_t>(epoch), i));
    if (mode == RowMode::seed) {
      augment::seed_augment(dst, d.length, augment::SeedAugmentParams{}, rng);
    } else if (mode == RowMode::measured) {
      // Texture-like comb scaling/elimination of the seed (no shift: the measurement adds a
      // physical one), then the measurement, then the clean-up.
      augment::SeedAugmentParams sp;
      sp.p_shift = 0.0;
      augment::seed_augment(dst, d.length, sp, rng);
      const auto w = augment::measure_on_grid(dst, L, d.two_theta_start, d.two_theta_step,
                                              augment::GridMeasurementParams{}, rng);
      denoise::model_input_row(dst, L, w.lo, w.hi, d.two_theta_step, true, exponent);
    } else if (mode == RowMode::clean) {
      denoise::model_input_row(dst, L, 0, L, d.two_theta_step, true, exponent);
    }
    out.y.push_back(d.y[order[i]]);
  }
  return out;
}

std::vector<std::size_t> epoch_order(const std::vector<std::size_t>& train, std::uint64_t seed, int epoch) {
  std::vector<std::size_t> order = train;
  std::mt19937_64 rng(derive(seed, 7, static_cast<std::uint64_t>(epoch)));
  std::shuffle(order.begin(), order.end(), rng);
  return order;
}

double schedule_lr(const TrainOptions& o, int epoch) {
  if (o.schedule == "cosine") return o.lr * 0.5 * (1.0 + std::cos(M_PI * epoch / std::max(1, o.epochs)));
  if (o.schedule == "step") return o.lr * (epoch >= o.epochs * 3 / 4 ? 0.01 : epoch >= o.epochs / 2 ? 0.1 : 1.0);
  return o.lr;
}

json acc_json(const Accuracy& a) { return {{"loss", a.loss}, {"top1", a.top1}, {"top5", a.top5}, {"n", a.n}}; }
Accuracy acc_from(const json& j) {
  Accuracy a;
  a.loss = j.at("loss");
  a.top1 = j.at("top1");
  a.top5 = j.at("top5");
  a.n = j.at("n");
  return a;
}

void write_curve(const std::string& path, const std::vector<EpochRecord>& curve) {
  std::ostringstream f;
  f << "epoch,lr,train_loss,train_top1,train_top5,val_loss,val_top1,val_top5,seconds\n";
  for (auto& r : curve)
    f << r.epoch << ',' << r.lr << ',' << r.train.loss << ',' << r.train.top1 << ',' << r.train.top5 << ','
      << r.val.loss << ',' << r.val.top1 << ',' << r.val.top5 << ',' << r.seconds << '\n';
  common::write_file_atomic(path, f.str());
}

std::string fmt_time(double s) {
  int t = static_cast<int>(s + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%d:%02d", t / 60, t % 60);
  return buf;
}

}  // namespace

Accuracy evaluate(StepEngine& engine, const Dataset& data, const std::vector<std::size_t>& idx, int batch,
                  double scale, const std::string& augment, double input_exponent) {
  const RowMode mode = row_mode(augment) == RowMode::measured ? RowMode::clean : RowMode::none;
  nn::NoGradGuard ng;
  Accuracy a;
  double h1 = 0, h5 = 0, loss = 0;
  for (std::size_t b = 0; b * static_cast<std::size_t>(batch) < idx.size(); ++b) {
    Batch bt = make_batch(data, idx, b, batch, mode, input_exponent, 0, 0);
    nn::Var cos(engine.cosines(bt.x));
    count_hits(cos.value(), bt.y, h1, h5);
    nn::Var z = nn::F::cosface_loss(cos, bt.y, scale, 0.0);
    loss += z.value().item() * static_cast<double>(bt.y.size());
  }
  a.n = idx.size();
  if (a.n) {
    a.top1 = 100.0 * h1 / static_cast<double>(a.n);
    a.top5 = 100.0 * h5 / static_cast<double>(a.n);
    a.loss = loss / static_cast<double>(a.n);
  }
  return a;
}

void check_resumable(const TrainOptions& opt) {
  if (!opt.resume) return;
  const std::string ckpt = opt.out + ".ckpt";
  std::error_code ec;
  if (!std::filesystem::exists(ckpt, ec))
    throw std::runtime_error("--resume: there is no checkpoint " + ckpt +
                             " to resume from (one is written at the end of every epoch and on Ctrl-C); "
                             "train without --resume to start over");
}

TrainResult train_model(const Dataset& data, const TrainOptions& opt, std::ostream& log,
                        const std::atomic<bool>* stop) {
  XRDID_CHECK(data.size() >= 3 && data.num_classes() >= 2, "training needs at least 3 patterns and 2 classes");
  XRDID_CHECK(!opt.out.empty(), "training needs an output model path");
  XRDID_CHECK(opt.epochs >= 1 && opt.batch >= 1, "epochs and batch must be >= 1");
  if (opt.threads > 0) omp_set_num_threads(opt.threads);

  nn::Net1DConfig cfg = nn::net1d_config(opt.config);
  cfg.input_length = data.length;
  nn::Rng init_rng(derive(opt.seed, 1));
  nn::Net1D net(cfg, init_rng);
  nn::CosineHead head(static_cast<int>(data.num_classes()), cfg.embedding_dim(), init_rng);
  auto params = net.named_parameters();
  for (auto& p : head.named_parameters("head.")) params.push_back(p);
  std::unique_ptr<nn::Optimizer> optim = nn::make_optimizer(opt.optimizer, params, opt.lr, opt.weight_decay);
  XRDID_CHECK(opt.patience >= 0 && opt.max_seconds >= 0, "--patience and --max-time must not be negative");
  std::unique_ptr<StepEngine> engine =
      make_step_engine(opt.engine, net, head, *optim, LossOptions{opt.loss, opt.scale, opt.margin}, opt.device);
  log << "training on " << engine->name() << "\n";

  const Split split = opt.split == "group" ? split_by_group(data, opt.seed) : split_random(data.size(), opt.seed);
  XRDID_CHECK(!split.train.empty() && !split.val.empty(), "the split left no training or validation patterns");
  const std::string ckpt = opt.out + ".ckpt";
  std::string curve_path = opt.curve_csv;
  if (curve_path.empty()) {
    auto parent = std::filesystem::path(opt.out).parent_path();
    curve_path = (parent.empty() ? std::filesystem::path("learning_curve.csv") : parent / "learning_curve.csv").string();
  }
  json class_names = data.class_names;
  json identity = {{"config", cfg}, {"seed", opt.seed}, {"batch", opt.batch}, {"loss", nn::name(opt.loss)},
                   {"split", opt.split}, {"augment", opt.augment}, {"input_exponent", opt.input_exponent},
                   {"patterns", data.size()},
                   {"classes", data.num_classes()}, {"optimizer", nn::name(opt.optimizer)}};

  TrainResult res;
  int start_epoch = 0;
  std::size_t start_batch = 0;
  double run_loss = 0, run_h1 = 0, run_h5 = 0, run_n = 0;
  // AdaCos needs C >= 3 (ln(C - 1) > 0); other losses train any C >= 2.
  engine->set_adacos_scale(opt.loss == nn::Loss::AdaCos ? nn::F::adacos_initial_scale(data.num_classes()) : 0.0);
  auto save_ckpt = [&](int epoch, std::size_t next_batch) {
    engine->to_host();
    const double adacos_s = engine->adacos_scale();
    json st = {{"epoch", epoch}, {"batch", next_batch}, {"run", {run_loss, run_h1, run_h5, run_n}},
               {"adacos_s", adacos_s}, {"threads", omp_get_max_threads()}, {"best_epoch", res.best_epoch},
               {"best_val", acc_json(res.best_val)},
               {"test", acc_json(res.test)}, {"identity", identity}};
    json curve = json::array();
    for (auto& r : res.curve)
      curve.push_back({{"epoch", r.epoch}, {"lr", r.lr}, {"train", acc_json(r.train)}, {"val", acc_json(r.val)},
                       {"seconds", r.seconds}});
    st["curve"] = curve;
    nn::save_model(ckpt, net, &head, optim.get(), {{"train_state", st.dump()}, {"class_names", class_names.dump()}});
  };
  if (opt.resume) {
    check_resumable(opt);
    const nn::ModelFile saved = nn::read_model_file(ckpt);
    const auto& meta = saved.file.metadata;
    XRDID_CHECK(meta.count("train_state"), ckpt + ": not a training checkpoint");
    json st = json::parse(meta.at("train_state"));
    XRDID_CHECK(st.at("identity") == identity,
                ckpt + ": checkpoint was made with different data or options; cannot resume exactly");
    nn::load_model(saved, net, &head, optim.get());
    start_epoch = st.at("epoch");
    start_batch = st.at("batch");
    auto r = st.at("run");
    run_loss = r[0]; run_h1 = r[1]; run_h5 = r[2]; run_n = r[3];
    engine->from_host();
    engine->set_adacos_scale(st.at("adacos_s"));
    res.best_epoch = st.at("best_epoch");
    res.best_val = acc_from(st.at("best_val"));
    res.test = acc_from(st.at("test"));
    for (auto& c : st.at("curve")) {
      EpochRecord e;
      e.epoch = c.at("epoch");
      e.lr = c.at("lr");
      e.train = acc_from(c.at("train"));
      e.val = acc_from(c.at("val"));
      e.seconds = c.at("seconds");
      res.curve.push_back(e);
    }
    log << "resuming from " << ckpt << " at epoch " << start_epoch + 1 << ", batch " << start_batch << "\n";
    // CPU sums are split by thread: the same thread count continues bit for bit, another one
    // continues correctly but not identically.
    if (opt.device.device == "cpu" && st.contains("threads") && st.at("threads") != omp_get_max_threads())
      log << "note: the checkpoint was written with " << st.at("threads").get<int>() << " threads, this run has "
          << omp_get_max_threads() << ": it continues, but not bit-identically (--threads)\n";
  }

  const bool tty = opt.progress && ::isatty(2);
  const std::size_t nb_full = (split.train.size() + static_cast<std::size_t>(opt.batch) - 1) / static_cast<std::size_t>(opt.batch);
  const std::size_t nb = opt.max_batches > 0 ? std::min<std::size_t>(nb_full, static_cast<std::size_t>(opt.max_batches)) : nb_full;
  const RowMode augment = row_mode(opt.augment);
  XRDID_CHECK(opt.input_exponent > 0 && opt.input_exponent <= 1, "--input-exponent must be in (0, 1]");
  XRDID_CHECK(opt.input_exponent == 1.0 || augment == RowMode::measured, "--input-exponent needs --augment measured");
  auto t_start = std::chrono::steady_clock::now();
  std::size_t samples_done = 0;

  int improved_epoch = res.best_epoch;  // last epoch with a strictly better validation score
  for (int epoch = start_epoch; epoch < opt.epochs; ++epoch) {
    auto t0 = std::chrono::steady_clock::now();
    optim->lr = schedule_lr(opt, epoch);
    auto order = epoch_order(split.train, opt.seed, epoch);
    std::size_t b0 = epoch == start_epoch ? start_batch : 0;
    if (b0 == 0) run_loss = run_h1 = run_h5 = run_n = 0;
    // Prefetch: the next batch is built on another thread while this one trains.
    std::future<Batch> next;
    if (b0 < nb) next = std::async(std::launch::async, make_batch, std::cref(data), std::cref(order), b0, opt.batch, augment, opt.input_exponent, opt.seed, epoch);
    for (std::size_t b = b0; b < nb; ++b) {
      const bool test_stop = opt.interrupt_after > 0 && samples_done >= static_cast<std::size_t>(opt.interrupt_after);
      if ((stop && stop->load()) || test_stop) {
        if (next.valid()) next.wait();
        save_ckpt(epoch, b);
        if (tty) log << "\n";
        log << "interrupted: checkpoint written to " << ckpt << " (continue with --resume)\n";
        res.interrupted = true;
        return res;
      }
      Batch bt = next.get();
      if (b + 1 < nb)
        next = std::async(std::launch::async, make_batch, std::cref(data), std::cref(order), b + 1, opt.batch, augment, opt.input_exponent, opt.seed, epoch);
      const StepStats st =
          engine->train_step(bt.x, bt.y, derive(opt.seed, static_cast<std::uint64_t>(epoch) + 17, b), optim->lr);
      const double n = static_cast<double>(bt.y.size());
      const double lv = st.loss;
      XRDID_CHECK(std::isfinite(lv), "training diverged: the loss is not finite at epoch " + std::to_string(epoch + 1));
      run_loss += lv * n;
      run_h1 += st.top1_hits;
      run_h5 += st.top5_hits;
      run_n += n;
      samples_done += bt.y.size();
      if (tty) {
        double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
        double sps = samples_done / std::max(el, 1e-9);
        double left = (static_cast<double>(opt.epochs - epoch) * static_cast<double>(nb) - static_cast<double>(b + 1)) *
                      opt.batch / std::max(sps, 1e-9);
        int w = 24, fill = static_cast<int>(w * static_cast<double>(b + 1) / static_cast<double>(nb));
        log << "\repoch " << epoch + 1 << "/" << opt.epochs << " [" << std::string(static_cast<std::size_t>(fill), '#')
            << std::string(static_cast<std::size_t>(w - fill), '.') << "] " << b + 1 << "/" << nb << " loss "
            << std::fixed << std::setprecision(3) << run_loss / run_n << " top1 " << std::setprecision(1)
            << 100.0 * run_h1 / run_n << "% " << std::setprecision(1) << sps << " samples/s ETA " << fmt_time(left)
            << "   " << std::flush;
      }
    }
    EpochRecord rec;
    rec.epoch = epoch + 1;
    rec.lr = optim->lr;
    rec.train = {run_loss / std::max(run_n, 1.0), 100.0 * run_h1 / std::max(run_n, 1.0), 100.0 * run_h5 / std::max(run_n, 1.0),
                 static_cast<std::size_t>(run_n)};
    const double eval_scale = opt.loss == nn::Loss::AdaCos   ? engine->adacos_scale()
                              : opt.loss == nn::Loss::Softmax ? 1.0
                                                              : opt.scale;
    rec.val = evaluate(*engine, data, split.val, opt.batch, eval_scale, opt.augment, opt.input_exponent);
    rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    res.curve.push_back(rec);
    if (res.best_epoch < 0 || rec.val.top1 > res.best_val.top1 ||
        (rec.val.top1 == res.best_val.top1 && rec.val.top5 > res.best_val.top5))
      improved_epoch = rec.epoch;  // strictly better (patience); ties still replace the best model
    const bool better = res.best_epoch < 0 || rec.val.top1 > res.best_val.top1 ||
                        (rec.val.top1 == res.best_val.top1 && rec.val.top5 >= res.best_val.top5);
    if (better) {
      res.best_epoch = rec.epoch;
      res.best_val = rec.val;
      res.test = evaluate(*engine, data, split.test, opt.batch, eval_scale, opt.augment, opt.input_exponent);
      std::map<std::string, std::string> meta{{"class_names", class_names.dump()},
                                              {"epoch", std::to_string(rec.epoch)},
                                              {"val_top1", std::to_string(rec.val.top1)},
                                              {"val_top5", std::to_string(rec.val.top5)},
                                              {"augment", opt.augment},
                                              // how identification must present patterns to this model
                                              {"input", opt.augment == "measured" ? "cleaned" : "raw"},
                                              {"input_exponent", std::to_string(opt.input_exponent)}};
      if (!opt.extra_metadata.empty()) {
        const json extra = json::parse(opt.extra_metadata);  // named: a temporary would dangle in the loop
        for (auto& [k, v] : extra.items()) meta[k] = v.is_string() ? v.get<std::string>() : v.dump();
      }
      engine->to_host();
      nn::save_model(opt.out, net, &head, nullptr, meta);
    }
    run_loss = run_h1 = run_h5 = run_n = 0;
    save_ckpt(epoch + 1, 0);
    write_curve(curve_path, res.curve);
    if (tty) log << "\r";
    log << "epoch " << rec.epoch << "/" << opt.epochs << "  loss " << std::fixed << std::setprecision(4) << rec.train.loss
        << "  train top1 " << std::setprecision(1) << rec.train.top1 << "%  val top1 " << rec.val.top1 << "% top5 "
        << rec.val.top5 << "%  " << std::setprecision(1) << rec.seconds << " s" << (better ? "  *best" : "")
        << std::string(tty ? 20 : 0, ' ') << "\n";
    // Stopping early: no better validation top-1 for `patience` epochs, or past the time budget
    // (the checkpoint just written lets --resume continue either way).
    if (opt.patience > 0 && rec.epoch - improved_epoch >= opt.patience && rec.epoch < opt.epochs) {
      log << "stopping: no better validation top-1 for " << opt.patience << " epochs\n";
      res.stopped_early = true;
      break;
    }
    const double spent = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    if (opt.max_seconds > 0 && spent >= opt.max_seconds && rec.epoch < opt.epochs) {
      log << "stopping: time budget of " << opt.max_seconds << " s reached after epoch " << rec.epoch << "\n";
      res.stopped_early = true;
      break;
    }
  }
  return res;
}

void write_learning_curve_svg(const std::string& path, const std::vector<EpochRecord>& curve) {
  io::Curve tr, va;
  tr.name = "train top-1 (%)";
  va.name = "validation top-1 (%)";
  for (auto& r : curve) {
    tr.x.push_back(r.epoch);
    tr.y.push_back(r.train.top1);
    va.x.push_back(r.epoch);
    va.y.push_back(r.val.top1);
  }
  io::PlotOptions po;
  po.title = "learning curve";
  po.x_label = "epoch";
  po.y_label = "top-1 accuracy (%)";
  io::write_svg_plot(path, {tr, va}, po);
}

}  // namespace xrdid::train
