#!/usr/bin/python3
"""Build qx-bench's model zoo: torchvision architectures adapted to Fashion-MNIST.

Run with Debian's /usr/bin/python3 (torch 1.13, torchvision 0.14, onnx 1.12). Nothing in
`make run` or `make test` needs it: they read the files it writes. See docs/model-zoo.md.

  /usr/bin/python3 tools/zoo.py                        # every model: train, export, quantize
  /usr/bin/python3 tools/zoo.py --models resnet18,googlenet
  /usr/bin/python3 tools/zoo.py --skip-training        # re-export / re-quantize from saved weights

Per model NAME it writes, under models/zoo/:

  NAME.onnx              opset 13, input "input" [N,1,28,28], output "logits" [N,10],
                         BatchNormalization kept (TrainingMode.PRESERVE), do_constant_folding=True
  NAME.nofold.onnx       the same export with do_constant_folding=False
  NAME.top1.u8           10,000 bytes: PyTorch fp32 predicted class per test image
  NAME.pytorch.json      PyTorch FX post-training int8 results per qx-bench plugin configuration
                         (tools/crosscheck_pytorch.py's mapping), or why FX could not quantize
  NAME.pytorch.PLUGIN.u8 10,000 bytes per configuration PyTorch quantized: its predicted classes
  NAME.md                the model card

and the trained state_dict plus its training record under --state-dir (default build/zoo/,
not committed: the ONNX files hold the same weights).
"""

import argparse
import copy
import hashlib
import json
import os
import sys
import time
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.models import efficientnet as tv_efficientnet
from torchvision.models import mobilenetv3 as tv_mobilenetv3
from torchvision.models.densenet import DenseNet
from torchvision.models.googlenet import BasicConv2d, GoogLeNet, Inception
from torchvision.models.resnet import BasicBlock
from torchvision.models.shufflenetv2 import ShuffleNetV2
from torchvision.models.squeezenet import Fire, SqueezeNet
from torchvision.ops.misc import Conv2dNormActivation

sys.dont_write_bytecode = True  # no tools/__pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_reference as ref  # noqa: E402  (data loading, normalization, augmentation)
import crosscheck_pytorch as xc  # noqa: E402  (the plugin -> FX configuration mapping)

ROOT = ref.ROOT
ZOO_DIR = os.path.join(ROOT, "models", "zoo")
STATE_DIR = os.path.join(ROOT, "build", "zoo")
PLUGINS = ["dynamic", "static-per-tensor", "static-per-channel", "histogram"]
# Extra PyTorch configuration, not a plugin: histogram with torch.histc given float bounds
# (crosscheck_pytorch.py's HistogramObserverExactBounds; torch 1.13 truncates them to int,
# pytorch/pytorch#83672), what a faithful implementation of the algorithm computes.
EXTRA = ["histogram-exact-bounds"]
CALIB_COUNT, CALIB_BATCH = 256, 32   # suites/zoo/*.yaml: calibration count and batch
EVAL_BATCH = xc.EVAL_BATCH           # 64, the suites' evaluation batch (matters for dynamic)


# --- the models ---------------------------------------------------------------------
#
# Every builder starts from torchvision's own class and constructor and changes as little
# as it can: the stem takes 1 channel at stride 1 (28x28 would not survive a /32 network
# otherwise), widths shrink to keep each ONNX file near 1 MB, the head has 10 classes.
# CHANGES says, per model, exactly what differs from the torchvision original.

def _set_stem(parent, attr, conv):
	"""Replace parent.attr (a Conv2d, or index attr of a Sequential) by a 1-channel 3x3/1 conv."""
	new = nn.Conv2d(1, conv.out_channels, 3, 1, 1, bias=conv.bias is not None)
	if isinstance(attr, int):
		parent[attr] = new
	else:
		setattr(parent, attr, new)


def build_resnet18():
	m = torchvision.models.resnet18(weights=None, num_classes=10)
	widths = (8, 16, 32, 64)
	m.inplanes = widths[0]
	m.conv1 = nn.Conv2d(1, widths[0], 3, 1, 1, bias=False)
	m.bn1 = nn.BatchNorm2d(widths[0])
	m.layer1 = m._make_layer(BasicBlock, widths[0], 2)
	m.layer2 = m._make_layer(BasicBlock, widths[1], 2, stride=2)
	m.layer3 = m._make_layer(BasicBlock, widths[2], 2, stride=2)
	m.layer4 = m._make_layer(BasicBlock, widths[3], 2, stride=2)
	m.fc = nn.Linear(widths[3], 10)
	for mod in m.modules():   # torchvision's ResNet initialization, on the new modules
		if isinstance(mod, nn.Conv2d):
			nn.init.kaiming_normal_(mod.weight, mode="fan_out", nonlinearity="relu")
		elif isinstance(mod, nn.BatchNorm2d):
			nn.init.constant_(mod.weight, 1)
			nn.init.constant_(mod.bias, 0)
	return m


def build_mobilenet_v2():
	m = torchvision.models.mobilenet_v2(weights=None, num_classes=10, width_mult=0.35)
	_set_stem(m.features[0], 0, m.features[0][0])
	cin = m.features[-1][0].in_channels
	m.features[-1] = Conv2dNormActivation(cin, 512, kernel_size=1, norm_layer=nn.BatchNorm2d,
					      activation_layer=nn.ReLU6)
	m.classifier[1] = nn.Linear(512, 10)
	for mod in m.modules():   # torchvision's MobileNetV2 initialization
		if isinstance(mod, nn.Conv2d):
			nn.init.kaiming_normal_(mod.weight, mode="fan_out")
		elif isinstance(mod, nn.Linear):
			nn.init.normal_(mod.weight, 0, 0.01)
			nn.init.zeros_(mod.bias)
	return m


def build_mobilenet_v3_small():
	setting, last = tv_mobilenetv3._mobilenet_v3_conf("mobilenet_v3_small", width_mult=0.35)
	m = tv_mobilenetv3.MobileNetV3(setting, last, num_classes=10)
	_set_stem(m.features[0], 0, m.features[0][0])
	nn.init.kaiming_normal_(m.features[0][0].weight, mode="fan_out")
	return m


def build_efficientnet_b0():
	setting, last = tv_efficientnet._efficientnet_conf("efficientnet_b0", width_mult=0.25,
							   depth_mult=0.5)
	m = tv_efficientnet.EfficientNet(setting, 0.2, num_classes=10, last_channel=last)
	_set_stem(m.features[0], 0, m.features[0][0])
	nn.init.kaiming_normal_(m.features[0][0].weight, mode="fan_out")
	return m


def build_shufflenet_v2_x0_5():
	m = ShuffleNetV2([4, 8, 4], [24, 48, 96, 192, 512], num_classes=10)
	_set_stem(m.conv1, 0, m.conv1[0])
	return m


def build_squeezenet1_1():
	m = SqueezeNet("1_1", num_classes=10)
	m.features = nn.Sequential(
		nn.Conv2d(1, 32, kernel_size=3, stride=1),
		nn.ReLU(inplace=True),
		nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
		Fire(32, 8, 32, 32),
		Fire(64, 8, 32, 32),
		nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
		Fire(64, 16, 64, 64),
		Fire(128, 16, 64, 64),
		nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
		Fire(128, 24, 96, 96),
		Fire(192, 24, 96, 96),
		Fire(192, 32, 128, 128),
		Fire(256, 32, 128, 128),
	)
	final_conv = nn.Conv2d(256, 10, kernel_size=1)
	m.classifier[1] = final_conv
	for mod in m.modules():   # torchvision's SqueezeNet initialization
		if isinstance(mod, nn.Conv2d):
			if mod is final_conv:
				nn.init.normal_(mod.weight, mean=0.0, std=0.01)
			else:
				nn.init.kaiming_uniform_(mod.weight)
			if mod.bias is not None:
				nn.init.constant_(mod.bias, 0)
	return m


GOOGLENET_DIV = 5
GOOGLENET_INCEPTIONS = [   # torchvision's (in, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj)
	("3a", (192, 64, 96, 128, 16, 32, 32)), ("3b", (256, 128, 128, 192, 32, 96, 64)),
	("4a", (480, 192, 96, 208, 16, 48, 64)), ("4b", (512, 160, 112, 224, 24, 64, 64)),
	("4c", (512, 128, 128, 256, 24, 64, 64)), ("4d", (512, 112, 144, 288, 32, 64, 64)),
	("4e", (528, 256, 160, 320, 32, 128, 128)), ("5a", (832, 256, 160, 320, 32, 128, 128)),
	("5b", (832, 384, 192, 384, 48, 128, 128))]


def _gdiv(c):
	return max(4, int(round(c / GOOGLENET_DIV)))


def build_googlenet():
	m = GoogLeNet(num_classes=10, aux_logits=False, transform_input=False, init_weights=True)
	m.conv1 = BasicConv2d(1, _gdiv(64), kernel_size=3, stride=1, padding=1)
	m.conv2 = BasicConv2d(_gdiv(64), _gdiv(64), kernel_size=1)
	m.conv3 = BasicConv2d(_gdiv(64), _gdiv(192), kernel_size=3, padding=1)
	prev = _gdiv(192)
	for name, cfg in GOOGLENET_INCEPTIONS:
		out = [_gdiv(c) for c in cfg[1:]]
		setattr(m, "inception" + name, Inception(prev, *out))
		prev = out[0] + out[2] + out[4] + out[5]
	m.fc = nn.Linear(prev, 10)
	for mod in m.modules():   # torchvision's init_weights=True initialization
		if isinstance(mod, (nn.Conv2d, nn.Linear)):
			nn.init.trunc_normal_(mod.weight, mean=0.0, std=0.01, a=-2, b=2)
		elif isinstance(mod, nn.BatchNorm2d):
			nn.init.constant_(mod.weight, 1)
			nn.init.constant_(mod.bias, 0)
	return m


def build_densenet121():
	m = DenseNet(growth_rate=5, block_config=(6, 12, 24, 16), num_init_features=10, bn_size=4,
		     num_classes=10)
	m.features.conv0 = nn.Conv2d(1, 10, 3, 1, 1, bias=False)
	nn.init.kaiming_normal_(m.features.conv0.weight)
	return m


def _googlenet_text():
	rows = []
	for name, cfg in GOOGLENET_INCEPTIONS:
		rows.append("inception%s %s" % (name, tuple(_gdiv(c) for c in cfg[1:])))
	return "; ".join(rows)


MODELS = {
	"resnet18": (build_resnet18, 3, [
		"`torchvision.models.resnet18(weights=None, num_classes=10)`, then rebuilt with "
		"torchvision's own `ResNet._make_layer(BasicBlock, ...)`: same 4 stages of 2 BasicBlocks "
		"(residual adds, 1x1 stride-2 downsample convs), widths 8/16/32/64 instead of 64/128/256/512",
		"stem: `conv1` 3x3 stride 1 pad 1, 1 input channel (torchvision: 7x7 stride 2 pad 3, 3 channels); "
		"the 3x3/2 max pool is kept: 28 -> 14 -> 14 -> 7 -> 4 -> 2",
		"`fc` 64 -> 10"]),
	"mobilenet_v2": (build_mobilenet_v2, 1, [
		"`torchvision.models.mobilenet_v2(weights=None, num_classes=10, width_mult=0.35)`: "
		"the original 17 inverted-residual blocks (expand 1x1, depthwise 3x3, project 1x1, ReLU6, "
		"residual adds), channels scaled by 0.35",
		"stem: `features[0][0]` 3x3 stride 1, 1 input channel (torchvision: stride 2, 3 channels): "
		"28 -> 28 -> 14 -> 7 -> 4 -> 2",
		"last 1x1 conv `features[18]` 112 -> 512 channels (torchvision: 1280 at any width_mult <= 1); "
		"`classifier[1]` 512 -> 10"]),
	"mobilenet_v3_small": (build_mobilenet_v3_small, 2, [
		"`MobileNetV3(*_mobilenet_v3_conf(\"mobilenet_v3_small\", width_mult=0.35), num_classes=10)`: "
		"torchvision's 11 blocks (depthwise convs, squeeze-excitation with Hardsigmoid, "
		"Hardswish, residual adds), channels scaled by 0.35 (torchvision's mobilenet_v3_small: 1.0); "
		"the head `classifier` is Linear {cls_in} -> {cls_mid}, Hardswish, Dropout, Linear {cls_mid} -> 10",
		"stem: `features[0][0]` 3x3 stride 1, 1 input channel (torchvision: stride 2, 3 channels): "
		"28 -> 28 -> 14 -> 7 -> 4 -> 2"]),
	"efficientnet_b0": (build_efficientnet_b0, 1, [
		"`EfficientNet(*_efficientnet_conf(\"efficientnet_b0\", width_mult=0.25, depth_mult=0.5), "
		"dropout=0.2, num_classes=10)`: torchvision's MBConv blocks (depthwise convs, "
		"squeeze-excitation with SiLU and Sigmoid, SiLU, stochastic depth, residual adds); "
		"channels scaled by 0.25 and each stage's depth by 0.5 (rounded up: 1,1,1,2,2,2,1 blocks "
		"instead of 1,2,2,3,3,4,1); torchvision's efficientnet_b0 uses 1.0 and 1.0",
		"stem: `features[0][0]` 3x3 stride 1, 1 input channel (torchvision: stride 2, 3 channels): "
		"28 -> 28 -> 14 -> 7 -> 4 -> 2"]),
	"shufflenet_v2_x0_5": (build_shufflenet_v2_x0_5, 2, [
		"`ShuffleNetV2([4, 8, 4], [24, 48, 96, 192, 512], num_classes=10)`: torchvision's "
		"shufflenet_v2_x0_5 stages (channel split, channel shuffle, depthwise convs, concat) "
		"with the last 1x1 conv `conv5` at 512 channels instead of 1024",
		"stem: `conv1[0]` 3x3 stride 1, 1 input channel (torchvision: stride 2, 3 channels); "
		"the 3x3/2 max pool is kept: 28 -> 14 -> 7 -> 4 -> 2"]),
	"squeezenet1_1": (build_squeezenet1_1, 2, [
		"`torchvision.models.squeezenet1_1(weights=None, num_classes=10)` with `features` rebuilt: "
		"the same sequence (conv, ReLU, 3 ceil-mode max pools, 8 Fire modules with their "
		"squeeze 1x1 / expand 1x1 + 3x3 / concat) at half the channels: Fire(32,8,32,32), "
		"Fire(64,8,32,32), Fire(64,16,64,64), Fire(128,16,64,64), Fire(128,24,96,96), "
		"Fire(192,24,96,96), Fire(192,32,128,128), Fire(256,32,128,128)",
		"stem: `features[0]` 3x3 stride 1 (no padding, as torchvision), 1 input channel, 32 outputs "
		"(torchvision: 3x3 stride 2, 3 channels, 64 outputs): 28 -> 26 -> 13 -> 6 -> 3",
		"`classifier[1]` 1x1 conv 256 -> 10 (Dropout, conv, ReLU, global average pool as torchvision)"]),
	"googlenet": (build_googlenet, 2, [
		"`GoogLeNet(num_classes=10, aux_logits=False, transform_input=False, init_weights=True)` "
		"with every conv's channels divided by %d (rounded, at least 4): conv2 %d, conv3 %d, %s; "
		"the same 9 Inception blocks (4 branches, concat; torchvision's 3x3 in the 5x5 branch), "
		"max pools (ceil mode) and `fc` %s -> 10" % (
			GOOGLENET_DIV, _gdiv(64), _gdiv(192), _googlenet_text(), "{fc_in}"),
		"stem: `conv1` 3x3 stride 1 pad 1, 1 input channel, %d outputs (torchvision: 7x7 stride 2 "
		"pad 3, 3 channels, 64 outputs): 28 -> 28 -> 14 -> 7 -> 4 -> 2" % _gdiv(64)]),
	"densenet121": (build_densenet121, 1, [
		"`DenseNet(growth_rate=5, block_config=(6, 12, 24, 16), num_init_features=10, bn_size=4, "
		"num_classes=10)`: densenet121's 4 dense blocks of 6/12/24/16 layers (BN-ReLU-1x1-BN-ReLU-3x3, "
		"concat) and 3 transitions, with growth rate 5 and 10 initial features "
		"(torchvision: 32 and 64)",
		"stem: `features.conv0` 3x3 stride 1 pad 1, 1 input channel (torchvision: 7x7 stride 2 pad 3, "
		"3 channels); `pool0` (3x3/2 max pool) kept: 28 -> 14 -> 7 -> 3 -> 1"]),
}


def load_from_onnx(name, path=None):
	"""The PyTorch model NAME with the weights of its unfolded export (models/zoo/NAME.nofold.onnx).

	The zoo does not commit state_dicts: with do_constant_folding=False the export's
	initializers are the state_dict's tensors under their own names, except those the
	exporter deduplicated (equal tensors), which an Identity node renames.
	"""
	import onnx
	from onnx import numpy_helper
	path = path or os.path.join(ZOO_DIR, name + ".nofold.onnx")
	graph = onnx.load(path).graph
	tensors = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
	for node in graph.node:
		if node.op_type == "Identity" and node.input[0] in tensors:
			tensors[node.output[0]] = tensors[node.input[0]]
	model = MODELS[name][0]()
	state = model.state_dict()
	missing = [k for k in state if k not in tensors and not k.endswith("num_batches_tracked")]
	if missing:
		raise RuntimeError("%s: no initializer for %s (expected an export of tools/zoo.py's %s)"
				   % (path, ", ".join(missing[:5]), name))
	model.load_state_dict({k: torch.from_numpy(tensors[k].copy()) if k in tensors else v
			       for k, v in state.items()})
	return model.eval()


# --- training -----------------------------------------------------------------------

def train(model, epochs, seed, batch_size=128, lr=3e-3, weight_decay=5e-4, threads=1, max_steps=None):
	"""tools/train_reference.py's recipe: AdamW, one-cycle schedule, flip + shift augmentation."""
	torch.manual_seed(seed)
	gen = torch.Generator().manual_seed(seed)
	train_u8, train_labels = ref.load_split("train")
	x_train = ref.normalize(train_u8)
	y_train = torch.from_numpy(train_labels.astype(np.int64))
	steps_per_epoch = (x_train.shape[0] + batch_size - 1) // batch_size
	opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
	sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, epochs=epochs,
						    steps_per_epoch=steps_per_epoch)
	start, loads = time.time(), []
	for epoch in range(epochs):
		model.train()
		order = torch.randperm(x_train.shape[0], generator=gen)
		seen, correct, loss_sum = 0, 0, 0.0
		for step in range(steps_per_epoch):
			if max_steps is not None and step >= max_steps:
				break
			idx = order[step * batch_size:(step + 1) * batch_size]
			xb = ref.augment(x_train[idx], gen)
			yb = y_train[idx]
			logits = model(xb)
			loss = F.cross_entropy(logits, yb)
			opt.zero_grad()
			loss.backward()
			opt.step()
			sched.step()
			seen += yb.shape[0]
			correct += int((logits.argmax(1) == yb).sum())
			loss_sum += float(loss) * yb.shape[0]
			if (step + 1) % 100 == 0 or step + 1 == steps_per_epoch:
				loads.append(os.getloadavg()[0])
				print("  epoch %d/%d step %d/%d loss %.4f train-acc %.2f%% %.0fs"
				      % (epoch + 1, epochs, step + 1, steps_per_epoch, loss_sum / seen,
					 100.0 * correct / seen, time.time() - start), flush=True)
	return {"train_s": round(time.time() - start, 1), "load": round(sum(loads) / max(1, len(loads)), 2),
		"epochs": epochs, "seed": seed, "batch": batch_size, "lr": lr,
		"weight_decay": weight_decay, "threads": threads, "torch": torch.__version__,
		"cpu": ref.cpu_name()}


# --- export -------------------------------------------------------------------------

def export(model, path, fold):
	import onnx
	model.eval()
	dummy = torch.zeros(1, 1, 28, 28)
	with warnings.catch_warnings():
		warnings.simplefilter("ignore")
		torch.onnx.export(model, dummy, path, opset_version=13,
				  input_names=["input"], output_names=["logits"],
				  dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
				  training=torch.onnx.TrainingMode.PRESERVE,
				  do_constant_folding=fold)
	m = onnx.load(path)
	onnx.checker.check_model(m)
	opset = [o.version for o in m.opset_import if o.domain in ("", "ai.onnx")]
	inputs = [i.name for i in m.graph.input if i.name not in {t.name for t in m.graph.initializer}]
	outputs = [o.name for o in m.graph.output]
	if opset != [13] or inputs != ["input"] or outputs != ["logits"]:
		raise RuntimeError("%s: opset %s inputs %s outputs %s (expected [13], ['input'], ['logits'])"
				   % (path, opset, inputs, outputs))
	ops = {}
	for n in m.graph.node:
		ops[n.op_type] = ops.get(n.op_type, 0) + 1
	return ops


def _first_linear(model):
	return next((m for m in model.modules() if isinstance(m, nn.Linear)), None)


# --- PyTorch int8 -------------------------------------------------------------------

FIXED_QPARAMS_NOTE = ("plus, for the static configurations, PyTorch's fixed-qparams observers for "
		      "sigmoid, hardsigmoid, tanh and softmax (what FX requires for those ops and what "
		      "get_default_qconfig_mapping() sets; a no-op for models without them)")


def with_fixed_qparams(mapping):
	"""The mapping plus PyTorch's fixed-qparams qconfigs (Sigmoid, Hardsigmoid, ...).

	FX refuses a global qconfig whose activation observer is not a fixed-qparams one for
	these ops ("QConfigMapping must specify fixed qparams observer"); torch 1.13's
	get_default_qconfig_mapping() adds exactly these entries.
	"""
	from torch.ao.quantization import qconfig_mapping as qm
	glob = mapping.global_qconfig
	if glob is None:
		return mapping
	for op, obs in qm._FIXED_QPARAMS_OP_TO_OBSERVER.items():
		mapping.set_object_type(op, xc.QConfig(activation=obs, weight=glob.weight))
	return mapping


def _traceable_channel_shuffle(x, groups):
	"""torchvision's channel_shuffle with x.size(i) instead of unpacking x.size().

	torch.fx cannot trace torchvision 0.14's version (`batchsize, num_channels, height,
	width = x.size()` iterates a Proxy); the computation is the same. Used for PyTorch's
	int8 runs only; the ONNX export and fp32 results use torchvision's code as it is.
	"""
	batchsize, num_channels, height, width = x.size(0), x.size(1), x.size(2), x.size(3)
	x = x.view(batchsize, groups, num_channels // groups, height, width)
	x = torch.transpose(x, 1, 2).contiguous()
	return x.view(batchsize, num_channels, height, width)


def _traceable_shuffle_forward(self, x):
	"""torchvision's ShuffleNetV2 InvertedResidual.forward, indexing x.chunk()'s result
	instead of unpacking it (torch.fx cannot iterate a Proxy); the same computation."""
	if self.stride == 1:
		halves = x.chunk(2, dim=1)
		out = torch.cat((halves[0], self.branch2(halves[1])), dim=1)
	else:
		out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
	return _traceable_channel_shuffle(out, 2)


class fx_traceable:
	"""Context: torchvision's ShuffleNetV2 blocks in their FX-traceable form (same computation)."""

	def __enter__(self):
		from torchvision.models import shufflenetv2
		self.saved = shufflenetv2.InvertedResidual.forward
		shufflenetv2.InvertedResidual.forward = _traceable_shuffle_forward
		return self

	def __exit__(self, *exc):
		from torchvision.models import shufflenetv2
		shufflenetv2.InvertedResidual.forward = self.saved
		return False


def pytorch_int8(model, calib, x_test, y_test, fp32_top1, out_base):
	"""FX post-training quantization per qx-bench plugin (crosscheck_pytorch.py's CONFIGS)."""
	configs = {name: (desc, make) for name, desc, make in xc.CONFIGS}
	with fx_traceable():
		return _pytorch_int8(model, calib, x_test, y_test, fp32_top1, out_base, configs)


def _pytorch_int8(model, calib, x_test, y_test, fp32_top1, out_base, configs):
	results = {}
	for plugin in PLUGINS + EXTRA:
		desc, make_mapping = configs[plugin]
		entry = {"qconfig": desc + ("" if plugin == "dynamic" else "; " + FIXED_QPARAMS_NOTE)}
		t0 = time.time()
		try:
			m = copy.deepcopy(model).eval()
			with warnings.catch_warnings():
				warnings.simplefilter("ignore")
				prepared = xc.prepare_fx(m, with_fixed_qparams(make_mapping()), example_inputs=(calib[:1],))
				with torch.no_grad():
					for i in range(0, calib.shape[0], CALIB_BATCH):
						prepared(calib[i:i + CALIB_BATCH])
				quantized = xc.convert_fx(prepared)
				pred = xc.top1(quantized, x_test, EVAL_BATCH)
		except Exception as e:  # noqa: BLE001  (the reason goes into the JSON and the card)
			msg = "%s: %s" % (type(e).__name__, str(e).strip().splitlines()[0] if str(e).strip() else "")
			entry.update(status="failed", error=msg[:400])
			print("  %-20s FX failed: %s" % (plugin, msg[:200]), flush=True)
			results[plugin] = entry
			continue
		pred_u8 = pred.numpy().astype(np.uint8)
		path = "%s.pytorch.%s.u8" % (out_base, plugin)
		pred_u8.tofile(path)
		correct = int((pred == y_test).sum())
		agree = int((pred == fp32_top1).sum())
		entry.update(status="ok", correct=correct, top1_percent=100.0 * correct / y_test.shape[0],
			     agreement_with_fp32=agree, predictions=os.path.basename(path),
			     predictions_sha256=ref.sha256(path), seconds=round(time.time() - t0, 1))
		print("  %-20s top-1 %.2f%% (%d), agrees with fp32 on %d, %.0fs" % (
			plugin, entry["top1_percent"], correct, agree, entry["seconds"]), flush=True)
		results[plugin] = entry
	return results


# --- the card -----------------------------------------------------------------------

def write_card(path, name, info):
	files = "\n".join("| `%s` | %s | %s | `%s` |" % (f, what, "{:,}".format(size), sha)
			   for f, what, size, sha in info["files"])
	plugins = []
	for plugin in PLUGINS + EXTRA:
		r = info["pytorch"][plugin]
		if r["status"] == "ok":
			plugins.append("| %s | %.2f%% (%d) | %d | `%s` |" % (
				plugin if plugin in PLUGINS else plugin + " (extra, below)", r["top1_percent"], r["correct"], r["agreement_with_fp32"], r["predictions"]))
		else:
			plugins.append("| %s | FX could not quantize it: %s | - | - |" % (
				plugin, r["error"].replace("|", "\\|")))
	changes = "\n".join("- " + c.format(**info) for c in info["changes"])
	tr = info["training"]
	ops = ", ".join("%s x%d" % (k, v) for k, v in sorted(info["ops_fold"].items()))
	ops_nofold = ", ".join("%s x%d" % (k, v) for k, v in sorted(info["ops_nofold"].items()))
	text = """# {name}: qx-bench model zoo

torchvision's `{name}` family, adapted to Fashion-MNIST (1x28x28, 10 classes) and trained
briefly. Generated by `tools/zoo.py`; do not edit by hand. See docs/model-zoo.md.

## How it differs from torchvision's `{name}`

{changes}
- Everything else (block structure, activations, normalization, initialization) is
  torchvision 0.14's code, built with `weights=None`.

Parameters: {params:,} (plus {buffers:,} BatchNorm running statistics).

## Files

| file | contents | bytes | sha256 |
|---|---|---|---|
{files}

## Interface

- input `input`: float32 `[N,1,28,28]`, NCHW, N dynamic (`dim_param` "N").
- output `logits`: float32 `[N,10]`, unnormalized; class = argmax (lowest index on ties).
- Normalization, applied by the caller: `x = (p / 255 - 0.2860) / 0.3530` (as
  `suites/fashion-mnist.yaml` and `suites/zoo/{name}.yaml`).

Both ONNX files are opset 13 exports of the same weights with BatchNormalization nodes kept
(`training=TrainingMode.PRESERVE`, as tools/train_reference.py exports); `{name}.onnx` with
`do_constant_folding=True`, `{name}.nofold.onnx` with `do_constant_folding=False`.

- ops, `{name}.onnx`: {ops}
- ops, `{name}.nofold.onnx`: {ops_nofold}

## Training recipe

tools/train_reference.py's: Fashion-MNIST's 60,000 training images, AdamW (weight decay
{wd}), batch {batch}, one-cycle schedule with peak {lr}, {epochs} epoch(s), random horizontal
flip and shift of up to 2 pixels; seed {seed}; `torch.set_num_threads({threads})`, CPU only,
torch {torch}. Wall time: {train_s:.0f} s on this machine ({cpu}), 1-minute load
average about {load:.1f} during training (the cores were shared with other jobs).

## Accuracy

PyTorch fp32, eval mode, the 10,000 test images: **{acc:.2f}%** ({correct} / 10000).

PyTorch int8, FX graph mode post-training quantization, `{engine}` engine, one
configuration per qx-bench plugin as in tools/crosscheck_pytorch.py (dynamic: `nn.Linear`
only, `default_dynamic_qconfig`; the static ones calibrated on the first {calib} training
images in batches of {calib_batch}; evaluation in batches of {eval_batch}):

| plugin | PyTorch top-1 | agrees with fp32 (of 10,000) | predictions |
|---|---|---|---|
{plugins}

`histogram-exact-bounds` is not a plugin: it is `histogram` with torch.histc given float
bounds (tools/crosscheck_pytorch.py's `HistogramObserverExactBounds`; torch 1.13 truncates
the bounds to integers, pytorch/pytorch#83672, see docs/pytorch-crosscheck.md), what a
faithful implementation of the documented algorithm computes.

`{name}.pytorch.json` holds these numbers, the qconfigs and the errors; each
`{name}.pytorch.<plugin>.u8` holds PyTorch's predicted class per test image (10,000 bytes, in
the order of `t10k-images-idx3-ubyte.gz`), as `{name}.top1.u8` does for fp32.

## Regenerate

```
{command}
```

(`--skip-training` re-exports and re-quantizes from the weights the first run saved in
build/zoo/, keeping the recorded training time.)
""".format(name=name, changes=changes, files=files, ops=ops, ops_nofold=ops_nofold,
	   plugins="\n".join(plugins), wd=tr["weight_decay"], batch=tr["batch"], lr=tr["lr"],
	   epochs=tr["epochs"], seed=tr["seed"], threads=tr["threads"], torch=tr["torch"],
	   train_s=tr["train_s"], cpu=tr["cpu"], load=tr["load"], acc=info["acc"],
	   correct=info["correct"], engine=info["engine"], calib=CALIB_COUNT, calib_batch=CALIB_BATCH,
	   eval_batch=EVAL_BATCH, params=info["params"], buffers=info["buffers"],
	   command=info["command"])
	with open(path, "w") as f:
		f.write(text)


# --- main ---------------------------------------------------------------------------

def build_one(name, args, data):
	builder, epochs, changes = MODELS[name]
	epochs = args.epochs or epochs
	print("== %s" % name, flush=True)
	os.makedirs(args.state_dir, exist_ok=True)
	os.makedirs(args.out_dir, exist_ok=True)
	state = os.path.join(args.state_dir, name + ".pt")
	record = os.path.join(args.state_dir, name + ".train.json")
	torch.manual_seed(args.seed)
	model = builder()
	if args.skip_training:
		model.load_state_dict(torch.load(state))
		with open(record) as f:
			training = json.load(f)
	else:
		training = train(model, epochs, args.seed, threads=args.threads, max_steps=args.max_steps)
		torch.save(model.state_dict(), state)
		with open(record, "w") as f:
			json.dump(training, f, indent=1)
	model.eval()
	calib, x_test, y_test = data
	base = os.path.join(args.out_dir, name)
	fp32_top1 = xc.top1(model, x_test, 1000)
	correct = int((fp32_top1 == y_test).sum())
	acc = 100.0 * correct / y_test.shape[0]
	print("  fp32 top-1 %.2f%% (%d/10000), trained %.0f s" % (acc, correct, training["train_s"]),
	      flush=True)
	fp32_top1.numpy().astype(np.uint8).tofile(base + ".top1.u8")
	ops_fold = export(model, base + ".onnx", True)
	ops_nofold = export(model, base + ".nofold.onnx", False)
	pt = pytorch_int8(model, calib, x_test, y_test, fp32_top1, base)
	engine = torch.backends.quantized.engine
	with open(base + ".pytorch.json", "w") as f:
		f.write(xc.json_text({
			"model": name, "generated_by": "/usr/bin/python3 tools/zoo.py",
			"torch_version": torch.__version__, "engine": engine,
			"calibration": {"split": "train", "first": 0, "count": CALIB_COUNT, "batch": CALIB_BATCH},
			"evaluation": {"split": "t10k", "count": int(y_test.shape[0]), "batch": EVAL_BATCH},
			"fp32": {"correct": correct, "top1_percent": acc, "predictions": name + ".top1.u8"},
			"plugins": {p: pt[p] for p in PLUGINS},
			"extra": {p: pt[p] for p in EXTRA}}) + "\n")
	files = [(name + ".onnx", "ONNX, opset 13, do_constant_folding=True"),
		 (name + ".nofold.onnx", "ONNX, opset 13, do_constant_folding=False"),
		 (name + ".top1.u8", "PyTorch fp32 top-1 class per test image"),
		 (name + ".pytorch.json", "PyTorch int8 accuracy per plugin configuration")]
	files += [(r["predictions"], "PyTorch int8 (%s) top-1 class per test image" % p)
		  for p, r in pt.items() if r["status"] == "ok"]
	command = "/usr/bin/python3 tools/zoo.py --models %s%s" % (
		name, "" if epochs == MODELS[name][1] else " --epochs %d" % epochs)
	info = dict(
		changes=changes, training=training, acc=acc, correct=correct, pytorch=pt, engine=engine,
		ops_fold=ops_fold, ops_nofold=ops_nofold, command=command,
		fc_in=getattr(getattr(model, "fc", None), "in_features", "?"),
		cls_in=getattr(_first_linear(model), "in_features", "?"),
		cls_mid=getattr(_first_linear(model), "out_features", "?"),
		params=sum(p.numel() for p in model.parameters()),
		buffers=sum(b.numel() for n, b in model.named_buffers()
			    if not n.endswith("num_batches_tracked")),
		files=[(f, what, os.path.getsize(os.path.join(args.out_dir, f)),
			ref.sha256(os.path.join(args.out_dir, f))) for f, what in files])
	write_card(base + ".md", name, info)
	print("  wrote %s.{onnx,nofold.onnx,top1.u8,pytorch.json,md} (%d + %d bytes of ONNX)" % (
		os.path.relpath(base, ROOT), os.path.getsize(base + ".onnx"),
		os.path.getsize(base + ".nofold.onnx")), flush=True)


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	ap.add_argument("--models", default=",".join(MODELS),
			help="comma-separated subset of: " + ", ".join(MODELS))
	ap.add_argument("--epochs", type=int, help="override every model's epoch count")
	ap.add_argument("--seed", type=int, default=20240)
	ap.add_argument("--threads", type=int, default=1)
	ap.add_argument("--engine", default="onednn")
	ap.add_argument("--out-dir", default=ZOO_DIR)
	ap.add_argument("--state-dir", default=STATE_DIR)
	ap.add_argument("--max-steps", type=int, help=argparse.SUPPRESS)  # smoke tests of the tool
	ap.add_argument("--skip-training", action="store_true",
			help="load STATE_DIR/NAME.pt and NAME.train.json instead of training")
	args = ap.parse_args()
	names = args.models.split(",")
	unknown = [n for n in names if n not in MODELS]
	if unknown:
		ap.error("--models: unknown %s (expected some of %s)" % (unknown, ", ".join(MODELS)))
	missing = ref.missing_data_files(ref.FASHION, ref.DATA_DIR)
	if missing:
		sys.stderr.write("zoo.py: %s: missing %s\n" % (ref.DATA_DIR, ", ".join(missing)))
		return 2
	torch.set_num_threads(args.threads)
	engine = xc.set_engine(args.engine)
	print("torch %s, torchvision %s, quantized engine %s, %d thread(s)" % (
		torch.__version__, torchvision.__version__, engine, args.threads), flush=True)
	calib, _ = xc.load_images("train", CALIB_COUNT)
	x_test, y_test = xc.load_images("t10k")
	for name in names:
		build_one(name, args, (calib, x_test, y_test))
	return 0


if __name__ == "__main__":
	sys.exit(main())
