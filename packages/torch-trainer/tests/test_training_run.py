import io
import json
import os
import tempfile
import unittest
from contextlib import redirect_stdout

import torch

from cbmir_torch_trainer.__main__ import main
from cbmir_torch_trainer.train import STATE_FILE, TrainConfig, run_training
from tests.helpers import write_training_set


def events(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


class TrainingRunTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        self.manifest = write_training_set(self.dir.name)

    def config(self, out: str, **extra) -> TrainConfig:
        values = dict(manifest=self.manifest, out=out, kind="siamese", arch="resnet-tiny", embedding_dim=8, epochs=2,
                      batch=6, steps_per_epoch=2, precision="fp32", threads=1, info={"name": "tiny"})
        values.update(extra)
        return TrainConfig.from_json(values)

    def run_quietly(self, config: TrainConfig) -> tuple[dict, list[dict]]:
        buffer = io.StringIO()
        with redirect_stdout(buffer):
            result = run_training(config)
        return result, events(buffer.getvalue())

    def test_trains_validates_and_publishes_a_servable_model_directory(self):
        out = os.path.join(self.dir.name, "model")
        result, log = self.run_quietly(self.config(out))
        self.assertEqual(result["stoppedBy"], "completed")
        self.assertEqual(result["epochsDone"], 2)
        self.assertEqual([e["event"] for e in log if e["event"] in ("start", "epoch", "done")], ["start", "epoch", "epoch", "done"])
        steps = [e for e in log if e["event"] == "step"]
        self.assertEqual(len(steps), 4)
        self.assertTrue(all(e["imagesPerSecond"] > 0 and e["etaMs"] >= 0 for e in steps))
        self.assertEqual(sorted(os.listdir(out)), ["checkpoint", "metadata.json", "model.onnx"])  # nothing half-written left
        with open(os.path.join(out, "metadata.json"), encoding="utf-8") as f:
            metadata = json.load(f)
        self.assertEqual(metadata["format"], "cbmir-embedder")
        self.assertEqual(metadata["weightsFormat"], "onnx")
        self.assertEqual(metadata["spec"], {"architecture": "resnet-tiny", "inputSize": 32, "embeddingDim": 8, "seed": 42, "dropout": 0.25, "inputConvention": "unit"})
        self.assertEqual(metadata["info"]["dataFingerprint"], "0123456789abcdef")
        self.assertEqual(metadata["info"]["preprocessing"]["version"], "graham-v1")
        self.assertEqual(metadata["info"]["metrics"]["bestEpoch"], 2)
        self.assertGreater(os.path.getsize(os.path.join(out, "model.onnx")), 10_000)

    def test_resume_continues_the_same_optimisation_and_refuses_another_network(self):
        out = os.path.join(self.dir.name, "model")
        self.run_quietly(self.config(out, epochs=1))
        state = torch.load(os.path.join(out, "checkpoint", STATE_FILE))
        self.assertEqual(state["state"]["step"], 2)
        self.assertIn("state", state["optimizer"])  # AdamW's moments travel with the checkpoint
        result, _ = self.run_quietly(self.config(out, epochs=3, resume=True))
        self.assertEqual(result["epochsDone"], 3)
        state = torch.load(os.path.join(out, "checkpoint", STATE_FILE))
        self.assertEqual([h["epoch"] for h in state["state"]["history"]], [1, 2, 3])
        self.assertEqual(state["state"]["step"], 6)
        with self.assertRaisesRegex(ValueError, "is a siamese resnet-tiny, not supervised"):
            self.run_quietly(self.config(out, epochs=4, resume=True, kind="supervised"))

    def test_a_warm_restart_starts_a_new_learning_rate_cycle_from_the_checkpoint(self):
        out = os.path.join(self.dir.name, "restart")
        _, first = self.run_quietly(self.config(out, epochs=2))
        last_lr = [e["lr"] for e in first if e["event"] == "step"][-1]
        _, second = self.run_quietly(self.config(out, epochs=4, resume=True, warm_restart=True, warmup_fraction=0.0))
        lrs = [e["lr"] for e in second if e["event"] == "step"]
        self.assertGreater(lrs[0], last_lr * 5)  # back near the peak
        self.assertLess(lrs[-1], lrs[0])  # and decaying again
        with self.assertRaisesRegex(ValueError, "needs resume"):
            self.run_quietly(self.config(os.path.join(self.dir.name, "fresh"), warm_restart=True))

    def test_supervised_baseline_with_the_ranking_pair_loss_and_flips(self):
        out = os.path.join(self.dir.name, "sup")
        result, _ = self.run_quietly(self.config(out, kind="supervised", regression_weight=0.5, flips=True, select="macro-map"))
        self.assertEqual(result["stoppedBy"], "completed")
        out = os.path.join(self.dir.name, "supcon")
        result, _ = self.run_quietly(self.config(out, pair_loss="supcon"))
        self.assertTrue(all(v is not None for v in result["best"]["validation"].values()))

    def test_time_budget_and_patience_stop_early(self):
        out = os.path.join(self.dir.name, "budget")
        result, _ = self.run_quietly(self.config(out, epochs=50, time_budget_minutes=1e-6))
        self.assertEqual((result["stoppedBy"], result["epochsDone"]), ("time-budget", 1))


class CommandLineTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        self.manifest = write_training_set(self.dir.name)

    def run_main(self, options: dict) -> tuple[int, list[dict]]:
        path = os.path.join(self.dir.name, "options.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(options, f)
        buffer = io.StringIO()
        with redirect_stdout(buffer):
            code = main(["train", path])
        return code, events(buffer.getvalue())

    def test_a_corrupt_checkpoint_is_reported_as_such(self):
        out = os.path.join(self.dir.name, "model")
        os.makedirs(os.path.join(out, "checkpoint"))
        with open(os.path.join(out, "checkpoint", STATE_FILE), "wb") as f:
            f.write(b"\x00garbage")
        code, log = self.run_main({"manifest": self.manifest, "out": out, "arch": "resnet-tiny", "resume": True})
        self.assertEqual(code, 1)
        self.assertEqual(log[-1]["event"], "error")
        self.assertEqual(log[-1]["kind"], "corrupt-checkpoint")
        self.assertIn("cannot be read", log[-1]["message"])

    def test_bad_options_and_missing_checkpoint_are_input_errors(self):
        code, log = self.run_main({"manifest": self.manifest, "out": self.dir.name, "kind": "triplet"})
        self.assertEqual((code, log[-1]["kind"]), (1, "invalid-input"))
        code, log = self.run_main({"manifest": self.manifest, "out": os.path.join(self.dir.name, "none"), "resume": True})
        self.assertEqual((code, log[-1]["kind"]), (1, "invalid-input"))
        self.assertIn("nothing to resume", log[-1]["message"])


if __name__ == "__main__":
    unittest.main()
