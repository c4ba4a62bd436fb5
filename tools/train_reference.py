#!/usr/bin/python3
"""Train qx-bench's reference models (a small CNN on Fashion-MNIST or CIFAR-10) and export them.

Run with Debian's /usr/bin/python3 (torch 1.13); the C code and its tests never
need torch, they read the files this script writes (--dataset fashion-mnist, the
default, shown; --dataset cifar10 writes the same files with the cifar_cnn prefix,
input [N,3,32,32]):

  models/fashion_cnn.onnx        opset 13, input "input" [N,1,28,28], output
                                 "logits" [N,10], BatchNormalization kept
  models/fashion_cnn.pt          the PyTorch state_dict (tools/crosscheck_pytorch.py
                                 rebuilds the exact model from it)
  models/fashion_cnn.top1.u8     10,000 bytes: PyTorch's predicted class per test image
  models/fashion_cnn.logits.f32  256 x 10 little-endian float32: logits of the first
                                 256 test images
  models/fashion_cnn.md          the model card

Regenerate with:  /usr/bin/python3 tools/train_reference.py
(--skip-training re-exports and re-evaluates an existing models/fashion_cnn.pt)

CIFAR-10 (binary version, not packaged; run tools/fetch-cifar10 first):
  /usr/bin/python3 tools/train_reference.py --dataset cifar10 [--data-dir DIR]
"""

import argparse
import gzip
import hashlib
import os
import struct
import sys
import time

try:
	import numpy as np
	import torch
	import torch.nn as nn
	import torch.nn.functional as F
except ImportError as e:
	# Say the next step, not a traceback: PyTorch is only needed here, not by qx-bench.
	sys.stderr.write("train_reference.py: %s (expected PyTorch: install Debian's python3-torch "
			 "with `tools/install-deps --train`, then run this again with /usr/bin/python3)\n" % e)
	sys.exit(2)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = "/usr/share/datasets/fashion-mnist"
MEAN = 0.2860
STD = 0.3530
LOGITS_IMAGES = 256

CIFAR_DATA_DIR = os.path.join(ROOT, "data", "cifar-10-batches-bin")
CIFAR_TRAIN_FILES = ["data_batch_%d.bin" % i for i in range(1, 6)]
CIFAR_TEST_FILES = ["test_batch.bin"]
CIFAR_RECORD = 1 + 3 * 32 * 32   # label byte, then the R, G and B planes (32x32 each, row-major)


def conv_layers(in_channels, size):
	"""(name, in channels, out channels, spatial size of the output) per conv layer."""
	return [
		("conv1", in_channels, 32, size),
		("conv2", 32, 32, size),
		("conv3", 32, 64, size // 2),
		("conv4", 64, 64, size // 2),
		("conv5", 64, 128, size // 4),
	]


# The Fashion-MNIST model's layers (tools/crosscheck_pytorch.py reads them too).
CONV_LAYERS = conv_layers(1, 28)


class Dataset:
	"""What differs between the datasets: files, image shape, normalization, card text.

	Everything else (model, training loop, export, checks, card) is shared code.
	"""

	def __init__(self, **fields):
		self.__dict__.update(fields)


DATASETS = {
	"fashion-mnist": Dataset(
		name="fashion-mnist", prefix="fashion_cnn", channels=1, size=28,
		mean=(MEAN,), std=(STD,), shift=2, data_dir=DATA_DIR,
		splits={"train": ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"],
			"t10k": ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]},
		test_split="t10k",
		expected="Fashion-MNIST's train-*-ubyte.gz and t10k-*-ubyte.gz (gzipped IDX) there, "
		"or pass --data-dir",
		description="A small CIFAR-style CNN trained on Fashion-MNIST (28x28 grayscale, 10 classes).",
		normalization_text=(
			"- Normalization, applied by the caller: `x = (p / 255 - %.4f) / %.4f` for pixel\n"
			"  value `p` in 0..255 (Fashion-MNIST's mean and standard deviation)." % (MEAN, STD)),
		classes_text=(
			"- Class order is the dataset's label order: 0 T-shirt/top, 1 Trouser, 2 Pullover,\n"
			"  3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot."),
		data_text="`{data_dir}/train-*.gz` ({n_train:,} images), read as IDX\n  with gzip + numpy.",
		augment_text=("random horizontal flip (p=0.5) and random shift of up to 2 pixels "
			      "(pad 2 with the background value, random 28x28 crop)"),
		epoch_note="  Unshared, an epoch takes about 50 s on two cores.\n", dataset_args="",
		time_note="about 7 minutes on two free cores (about 50 s an epoch), longer on a busy machine",
		suite="suites/fashion-mnist.yaml",
		pt_text="PyTorch state_dict (for tools/crosscheck_pytorch.py)",
		test_files="`t10k-*.gz`", test_order="`t10k-images-idx3-ubyte.gz`",
		regenerate="/usr/bin/python3 tools/train_reference.py {dataset_args}--epochs {epochs} --seed {seed}"),
	"cifar10": Dataset(
		name="cifar10", prefix="cifar_cnn", channels=3, size=32,
		mean=(0.4914, 0.4822, 0.4465), std=(0.2470, 0.2435, 0.2616), shift=4,
		data_dir=CIFAR_DATA_DIR,
		splits={"train": CIFAR_TRAIN_FILES, "test": CIFAR_TEST_FILES},
		test_split="test",
		expected="CIFAR-10's binary batches data_batch_1..5.bin and test_batch.bin there: "
		"run tools/fetch-cifar10, or pass --data-dir",
		description="A small CIFAR-style CNN trained on CIFAR-10 (32x32 RGB, 10 classes).",
		normalization_text=(
			"- Normalization, applied by the caller, per channel c (R, G, B):\n"
			"  `x = (p / 255 - mean[c]) / std[c]` for pixel value `p` in 0..255, with\n"
			"  mean (0.4914, 0.4822, 0.4465) and std (0.2470, 0.2435, 0.2616), CIFAR-10's\n"
			"  per-channel statistics (the values in `suites/cifar.yaml`)."),
		classes_text=(
			"- Class order is the dataset's label order: 0 airplane, 1 automobile, 2 bird,\n"
			"  3 cat, 4 deer, 5 dog, 6 frog, 7 horse, 8 ship, 9 truck."),
		data_text="`{data_dir}/data_batch_1..5.bin` ({n_train:,} images), read as\n"
		"  CIFAR-10 binary records (1 label byte, 3072 pixel bytes: R, G, B planes) with numpy.",
		augment_text=("random crop with 4-pixel padding (pad 4 with black, normalized per channel, "
			      "random 32x32 crop) and random horizontal flip (p=0.5)"),
		epoch_note="", dataset_args="--dataset cifar10 ",
		time_note="about 18 minutes of one core's time for 8 epochs, longer on a busy machine",
		suite="suites/cifar.yaml",
		pt_text="PyTorch state_dict (`FashionCNN(in_channels=3)` in tools/train_reference.py)",
		test_files="`test_batch.bin`", test_order="`test_batch.bin`",
		regenerate="tools/fetch-cifar10\n"
		"/usr/bin/python3 tools/train_reference.py {dataset_args}--epochs {epochs} --seed {seed}"),
}
FASHION = DATASETS["fashion-mnist"]


class FashionCNN(nn.Module):
	"""conv-bn-relu x2, pool, x2, pool, x1, global average pool, linear.

	Every conv is followed by its own BatchNorm and ReLU module so FX graph
	mode quantization fuses them into one Conv+BN+ReLU (crosscheck_pytorch.py).
	Convs have no bias: the BatchNorm's shift plays that role, and the ONNX
	importer creates the bias when it folds BN into the conv.
	"""

	def __init__(self, in_channels=1):
		super().__init__()
		for name, cin, cout, _ in conv_layers(in_channels, 0):
			idx = name[len("conv"):]
			setattr(self, name, nn.Conv2d(cin, cout, 3, padding=1, bias=False))
			setattr(self, "bn" + idx, nn.BatchNorm2d(cout))
			setattr(self, "relu" + idx, nn.ReLU())
		self.pool1 = nn.MaxPool2d(2)
		self.pool2 = nn.MaxPool2d(2)
		self.gap = nn.AdaptiveAvgPool2d(1)
		self.flatten = nn.Flatten()
		self.fc = nn.Linear(128, 10)

	def forward(self, x):
		x = self.relu1(self.bn1(self.conv1(x)))
		x = self.relu2(self.bn2(self.conv2(x)))
		x = self.pool1(x)
		x = self.relu3(self.bn3(self.conv3(x)))
		x = self.relu4(self.bn4(self.conv4(x)))
		x = self.pool2(x)
		x = self.relu5(self.bn5(self.conv5(x)))
		x = self.gap(x)
		x = self.flatten(x)
		return self.fc(x)


def read_idx_gz(path):
	"""Read an IDX file (MNIST format), gzip-compressed, into a uint8 array."""
	with gzip.open(path, "rb") as f:
		raw = f.read()
	if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
		raise ValueError("%s: byte 0: not an unsigned-byte IDX file "
				 "(expected 00 00 08 <ndim>)" % path)
	ndim = raw[3]
	dims = struct.unpack(">%dI" % ndim, raw[4:4 + 4 * ndim])
	data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
	if data.size != int(np.prod(dims)):
		raise ValueError("%s: payload has %d bytes (expected %d for dims %s)"
				 % (path, data.size, int(np.prod(dims)), dims))
	return data.reshape(dims)


def read_cifar_bin(paths):
	"""Read CIFAR-10 binary batches into (images uint8 [N,3,32,32], labels uint8 [N])."""
	images, labels = [], []
	for path in paths:
		with open(path, "rb") as f:
			raw = f.read()
		if len(raw) == 0 or len(raw) % CIFAR_RECORD:
			raise ValueError("%s: byte %d: file size %d is not a positive multiple of %d "
					 "(expected records of 1 label byte + 3072 pixel bytes)"
					 % (path, len(raw) - len(raw) % CIFAR_RECORD, len(raw), CIFAR_RECORD))
		records = np.frombuffer(raw, dtype=np.uint8).reshape(-1, CIFAR_RECORD)
		bad = np.flatnonzero(records[:, 0] > 9)
		if bad.size:
			raise ValueError("%s: byte %d: label %d out of range (expected 0..9)"
					 % (path, int(bad[0]) * CIFAR_RECORD, records[bad[0], 0]))
		labels.append(records[:, 0])
		images.append(records[:, 1:].reshape(-1, 3, 32, 32))
	return np.concatenate(images), np.concatenate(labels)


def load_split(split, dataset=FASHION, data_dir=None):
	"""Return (images uint8, labels uint8 [N]) for one split of dataset.

	Fashion-MNIST: split 'train' or 't10k', images [N,28,28]. CIFAR-10: split
	'train' (data_batch_1..5.bin) or 'test' (test_batch.bin), images [N,3,32,32].
	data_dir defaults to the dataset's own folder.
	"""
	data_dir = data_dir or dataset.data_dir
	if dataset.name == "cifar10":
		return read_cifar_bin([os.path.join(data_dir, f) for f in dataset.splits[split]])
	images = read_idx_gz(os.path.join(data_dir, "%s-images-idx3-ubyte.gz" % split))
	labels = read_idx_gz(os.path.join(data_dir, "%s-labels-idx1-ubyte.gz" % split))
	if images.shape[0] != labels.shape[0]:
		raise ValueError("%s: %d images but %d labels" % (split, images.shape[0], labels.shape[0]))
	return images, labels


def train_image_count(dataset, data_dir):
	"""Number of training images, from the headers / file sizes only (for the card)."""
	if dataset.name == "cifar10":
		return sum(os.path.getsize(os.path.join(data_dir, f))
			   for f in dataset.splits["train"]) // CIFAR_RECORD
	with gzip.open(os.path.join(data_dir, dataset.splits["train"][0]), "rb") as f:
		return struct.unpack(">I", f.read(8)[4:8])[0]


def missing_data_files(dataset, data_dir):
	"""The files of dataset (every split) that data_dir lacks, in order."""
	names = [f for split in dataset.splits.values() for f in split]
	return [f for f in names if not os.path.isfile(os.path.join(data_dir, f))]


def normalize(images_u8, dataset=FASHION):
	"""uint8 [N,H,W] (one channel) or [N,C,H,W] -> float32 [N,C,H,W].

	x = (p/255 - mean[c]) / std[c], channel by channel (for one channel the
	very operations on the same values as a whole-tensor expression).
	"""
	x = torch.from_numpy(images_u8.astype(np.float32))
	if x.dim() == 3:
		x = x.unsqueeze(1)
	planes = [(x[:, c:c + 1] / 255.0 - m) / s
		  for c, (m, s) in enumerate(zip(dataset.mean, dataset.std))]
	return planes[0] if len(planes) == 1 else torch.cat(planes, 1)


def augment(x, gen, dataset=FASHION):
	"""Random horizontal flip and a random shift of up to dataset.shift pixels
	(pad by shift, random crop back to the image size; training only).

	Padding uses the normalized value of a black pixel, per channel, so
	shifted-in borders look like the background.
	"""
	n, channels, h, w = x.shape
	pad = dataset.shift
	flip = torch.rand(n, generator=gen) < 0.5
	x = torch.where(flip[:, None, None, None], x.flip(3), x)
	padded = torch.cat([F.pad(x[:, c:c + 1], (pad, pad, pad, pad), value=(0.0 - m) / s)
			    for c, (m, s) in enumerate(zip(dataset.mean, dataset.std))], 1)
	dy = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
	dx = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
	rows = (dy[:, None] + torch.arange(h)[None, :])             # [n,h]
	cols = (dx[:, None] + torch.arange(w)[None, :])             # [n,w]
	batch = torch.arange(n)[:, None, None, None]
	chan = torch.arange(channels)[None, :, None, None]
	return padded[batch, chan, rows[:, None, :, None], cols[:, None, None, :]]


@torch.no_grad()
def predict(model, x, batch=1000):
	model.eval()
	out = [model(x[i:i + batch]) for i in range(0, x.shape[0], batch)]
	return torch.cat(out)


def train(model, args, dataset):
	torch.manual_seed(args.seed)
	gen = torch.Generator().manual_seed(args.seed)
	train_u8, train_labels = load_split("train", dataset, args.data_dir)
	test_u8, test_labels = load_split(dataset.test_split, dataset, args.data_dir)
	x_train = normalize(train_u8, dataset)
	y_train = torch.from_numpy(train_labels.astype(np.int64))
	x_test = normalize(test_u8, dataset)
	y_test = torch.from_numpy(test_labels.astype(np.int64))

	steps_per_epoch = (x_train.shape[0] + args.batch_size - 1) // args.batch_size
	opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
	sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, epochs=args.epochs,
						    steps_per_epoch=steps_per_epoch)
	start = time.time()
	loads = []
	for epoch in range(args.epochs):
		model.train()
		order = torch.randperm(x_train.shape[0], generator=gen)
		seen, correct, loss_sum = 0, 0, 0.0
		for step in range(steps_per_epoch):
			idx = order[step * args.batch_size:(step + 1) * args.batch_size]
			xb = augment(x_train[idx], gen, dataset) if args.augment else x_train[idx]
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
				print("epoch %d/%d step %d/%d loss %.4f train-acc %.2f%% lr %.2e %.0fs"
				      % (epoch + 1, args.epochs, step + 1, steps_per_epoch,
					 loss_sum / seen, 100.0 * correct / seen,
					 sched.get_last_lr()[0], time.time() - start), flush=True)
		acc = 100.0 * float((predict(model, x_test).argmax(1) == y_test).float().mean())
		print("epoch %d/%d test-acc %.2f%% %.0fs" % (epoch + 1, args.epochs, acc,
							       time.time() - start), flush=True)
	return time.time() - start, sum(loads) / len(loads)


# --- ONNX check without the onnx package: a minimal protobuf wire reader ------

def _varint(buf, pos):
	value, shift = 0, 0
	while True:
		b = buf[pos]
		pos += 1
		value |= (b & 0x7F) << shift
		shift += 7
		if not b & 0x80:
			return value, pos


def _fields(buf):
	"""Yield (field number, wire type, value) for one protobuf message."""
	pos = 0
	while pos < len(buf):
		key, pos = _varint(buf, pos)
		num, wt = key >> 3, key & 7
		if wt == 0:
			val, pos = _varint(buf, pos)
		elif wt == 1:
			val, pos = buf[pos:pos + 8], pos + 8
		elif wt == 2:
			n, pos = _varint(buf, pos)
			val, pos = buf[pos:pos + n], pos + n
		elif wt == 5:
			val, pos = buf[pos:pos + 4], pos + 4
		else:
			raise ValueError("protobuf: wire type %d at byte %d (expected 0, 1, 2 or 5)" % (wt, pos))
		yield num, wt, val


def _packed_or_single(wt, val, decode):
	"""A repeated scalar field arrives packed (wire type 2) or one per key."""
	if wt != 2:
		return [decode(wt, val)]
	out, p = [], 0
	while p < len(val):
		v, p = _varint(val, p)
		out.append(v)
	return out


def _int64(v):
	return v - (1 << 64) if v >= (1 << 63) else v


def _parse_attribute(buf):
	"""AttributeProto: name=1, f=2, i=3, s=4, floats=7, ints=8."""
	name, value = None, None
	ints = []
	floats = []
	for num, wt, val in _fields(buf):
		if num == 1:
			name = bytes(val).decode()
		elif num == 2:
			value = struct.unpack("<f", val)[0]
		elif num == 3:
			value = _int64(val)
		elif num == 4:
			value = bytes(val)
		elif num == 7:
			floats += (list(struct.unpack("<%df" % (len(val) // 4), val)) if wt == 2
				   else [struct.unpack("<f", val)[0]])
		elif num == 8:
			ints += [_int64(v) for v in _packed_or_single(wt, val, lambda w, v: v)]
	if value is None and ints:
		value = ints
	if value is None and floats:
		value = floats
	return name, value


_ONNX_DTYPES = {1: np.float32, 6: np.int32, 7: np.int64}


def _parse_tensor(buf):
	"""TensorProto: dims=1, data_type=2, float_data=4, int64_data=7, name=8, raw_data=9."""
	name, dims, dtype, raw, floats, int64s = None, [], 1, None, [], []
	for num, wt, val in _fields(buf):
		if num == 1:
			dims += [_int64(v) for v in _packed_or_single(wt, val, lambda w, v: v)]
		elif num == 2:
			dtype = val
		elif num == 4:
			floats += (list(struct.unpack("<%df" % (len(val) // 4), val)) if wt == 2
				   else [struct.unpack("<f", val)[0]])
		elif num == 7:
			int64s += [_int64(v) for v in _packed_or_single(wt, val, lambda w, v: v)]
		elif num == 8:
			name = bytes(val).decode()
		elif num == 9:
			raw = bytes(val)
	if dtype not in _ONNX_DTYPES:
		raise ValueError("initializer %s: data_type %d (expected float, int32 or int64)" % (name, dtype))
	if raw is not None:
		arr = np.frombuffer(raw, dtype=np.dtype(_ONNX_DTYPES[dtype]).newbyteorder("<"))
	elif dtype == 1:
		arr = np.array(floats, dtype=np.float32)
	else:
		arr = np.array(int64s, dtype=_ONNX_DTYPES[dtype])
	return name, arr.reshape(dims).astype(_ONNX_DTYPES[dtype])


def onnx_load(path):
	"""Read an ONNX file without the onnx package (it is not installed here).

	Returns a dict: opset, nodes [(op_type, inputs, outputs, {attr: value})],
	initializers {name: numpy array}, inputs and outputs (graph value names,
	initializers excluded). Field numbers from onnx.proto: ModelProto.graph=7,
	opset_import=8 (OperatorSetIdProto.domain=1, version=2); GraphProto.node=1,
	initializer=5, input=11, output=12; NodeProto.input=1, output=2, op_type=4,
	attribute=5; ValueInfoProto.name=1.
	"""
	with open(path, "rb") as f:
		model = f.read()
	res = dict(opset=None, nodes=[], initializers={}, inputs=[], outputs=[])
	for num, _, val in _fields(model):
		if num == 8:
			domain, version = b"", None
			for n2, _, v2 in _fields(val):
				if n2 == 1:
					domain = bytes(v2)
				elif n2 == 2:
					version = v2
			if domain in (b"", b"ai.onnx"):
				res["opset"] = version
		elif num == 7:
			for n2, _, v2 in _fields(val):
				if n2 == 1:
					ins, outs, op, attrs = [], [], None, {}
					for n3, _, v3 in _fields(v2):
						if n3 == 1:
							ins.append(bytes(v3).decode())
						elif n3 == 2:
							outs.append(bytes(v3).decode())
						elif n3 == 4:
							op = bytes(v3).decode()
						elif n3 == 5:
							k, v = _parse_attribute(v3)
							attrs[k] = v
					res["nodes"].append((op, ins, outs, attrs))
				elif n2 == 5:
					name, arr = _parse_tensor(v2)
					res["initializers"][name] = arr
				elif n2 in (11, 12):
					for n3, _, v3 in _fields(v2):
						if n3 == 1:
							res["inputs" if n2 == 11 else "outputs"].append(bytes(v3).decode())
	res["inputs"] = [n for n in res["inputs"] if n not in res["initializers"]]
	return res


def _conv2d_nchw(x, w, pads, strides, dilations, group):
	if group != 1 or any(d != 1 for d in dilations):
		raise ValueError("Conv: group %d dilations %s (expected 1 and [1,1])" % (group, dilations))
	n, c, h, wd = x.shape
	m, _, kh, kw = w.shape
	xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
	oh = (h + pads[0] + pads[2] - kh) // strides[0] + 1
	ow = (wd + pads[1] + pads[3] - kw) // strides[1] + 1
	out = np.zeros((n, m, oh, ow), dtype=np.float64)
	for i in range(kh):
		for j in range(kw):
			patch = xp[:, :, i:i + strides[0] * oh:strides[0], j:j + strides[1] * ow:strides[1]]
			out += np.einsum("nchw,mc->nmhw", patch, w[:, :, i, j], optimize=True)
	return out


def onnx_run_numpy(model, x):
	"""Evaluate the graph in float64 numpy: an independent check of the export."""
	env = {k: v.astype(np.float64) if v.dtype == np.float32 else v
	       for k, v in model["initializers"].items()}
	env[model["inputs"][0]] = x.astype(np.float64)
	for op, ins, outs, at in model["nodes"]:
		a = [env[i] for i in ins if i]
		if op == "Conv":
			y = _conv2d_nchw(a[0], a[1], at.get("pads", [0, 0, 0, 0]), at.get("strides", [1, 1]),
					 at.get("dilations", [1, 1]), at.get("group", 1))
			if len(a) > 2:
				y += a[2][None, :, None, None]
		elif op == "BatchNormalization":
			sh = (1, -1, 1, 1)
			y = (a[0] - a[3].reshape(sh)) / np.sqrt(a[4].reshape(sh) + at.get("epsilon", 1e-5)) \
			    * a[1].reshape(sh) + a[2].reshape(sh)
		elif op == "Relu":
			y = np.maximum(a[0], 0)
		elif op == "MaxPool":
			k, s = at["kernel_shape"], at.get("strides", at["kernel_shape"])
			if at.get("pads", [0, 0, 0, 0]) != [0, 0, 0, 0] or k != s:
				raise ValueError("MaxPool %s: only unpadded kernel == stride supported" % outs[0])
			n, c, h, w = a[0].shape
			oh, ow = h // k[0], w // k[1]
			y = a[0][:, :, :oh * k[0], :ow * k[1]].reshape(n, c, oh, k[0], ow, k[1]).max(axis=(3, 5))
		elif op == "GlobalAveragePool":
			y = a[0].mean(axis=(2, 3), keepdims=True)
		elif op == "Flatten":
			ax = at.get("axis", 1)
			y = a[0].reshape(int(np.prod(a[0].shape[:ax])), -1)
		elif op == "Gemm":
			A = a[0].T if at.get("transA", 0) else a[0]
			B = a[1].T if at.get("transB", 0) else a[1]
			y = at.get("alpha", 1.0) * A @ B
			if len(a) > 2:
				y = y + at.get("beta", 1.0) * a[2]
		elif op == "Identity":
			y = a[0]
		else:
			raise ValueError("node %s: op %s not supported by the numpy check" % (outs[0], op))
		env[outs[0]] = y
	return env[model["outputs"][0]]


ALLOWED_OPS = {"Conv", "BatchNormalization", "Relu", "MaxPool", "GlobalAveragePool",
	       "Flatten", "Gemm", "MatMul", "Add", "Reshape"}


def export_onnx(model, path, dataset=FASHION):
	model.eval()
	dummy = torch.zeros(1, dataset.channels, dataset.size, dataset.size)
	# PRESERVE while in eval() keeps BatchNormalization nodes (inference
	# form); TrainingMode.EVAL would fold them into the convs.
	torch.onnx.export(model, dummy, path, opset_version=13,
			  input_names=["input"], output_names=["logits"],
			  dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
			  training=torch.onnx.TrainingMode.PRESERVE,
			  do_constant_folding=False)
	model = onnx_load(path)
	opset, nodes, inputs, outputs = model["opset"], model["nodes"], model["inputs"], model["outputs"]
	ops = [n[0] for n in nodes]
	print("onnx: opset %s, inputs %s, outputs %s, %d nodes: %s"
	      % (opset, inputs, outputs, len(nodes), " ".join(ops)))
	problems = []
	if opset != 13:
		problems.append("opset %s (expected 13)" % opset)
	if ops.count("BatchNormalization") != len(CONV_LAYERS):
		problems.append("%d BatchNormalization nodes (expected %d)"
				% (ops.count("BatchNormalization"), len(CONV_LAYERS)))
	extra = sorted(set(ops) - ALLOWED_OPS)
	if extra:
		problems.append("ops %s (expected only %s)" % (extra, sorted(ALLOWED_OPS)))
	if inputs != ["input"] or outputs != ["logits"]:
		problems.append("inputs %s outputs %s (expected ['input'] and ['logits'])"
				% (inputs, outputs))
	for op, ins, outs, _ in nodes:
		if op == "BatchNormalization" and len(outs) != 1:
			problems.append("BatchNormalization %s has %d outputs (expected 1: inference form)"
					% (outs, len(outs)))
	if problems:
		raise RuntimeError("%s: %s" % (path, "; ".join(problems)))
	return model


def check_onnx_numerics(model, onnx_model, x):
	"""Run the exported graph in numpy (float64) and compare with PyTorch's logits."""
	with torch.no_grad():
		ref = model(x).double().numpy()
	got = onnx_run_numpy(onnx_model, x.numpy())
	diff = float(np.abs(got - ref).max())
	same_top1 = int((got.argmax(1) == ref.argmax(1)).sum())
	print("onnx numpy check on %d images: max |logit diff| %.3g, top-1 agree %d/%d"
	      % (x.shape[0], diff, same_top1, x.shape[0]))
	if diff > 1e-3:
		raise RuntimeError("exported ONNX differs from PyTorch: max |logit diff| %.3g "
				   "(expected <= 1e-3)" % diff)
	return diff


def sha256(path):
	with open(path, "rb") as f:
		return hashlib.sha256(f.read()).hexdigest()


def layer_table(dataset=FASHION):
	rows, total = [], 0
	size = dataset.size
	rows.append(("input", "-", "[N,%d,%d,%d]" % (dataset.channels, size, size), 0, 0))
	for name, cin, cout, hw in conv_layers(dataset.channels, size):
		macs = hw * hw * cout * cin * 9
		params = cout * cin * 9 + 4 * cout
		total += macs
		rows.append(("%s 3x3 pad1 + BN + ReLU" % name, "%d->%d" % (cin, cout),
			     "[N,%d,%d,%d]" % (cout, hw, hw), macs, params))
		if name == "conv2":
			rows.append(("pool1 MaxPool 2x2/2", "-", "[N,32,%d,%d]" % (hw // 2, hw // 2), 0, 0))
		elif name == "conv4":
			rows.append(("pool2 MaxPool 2x2/2", "-", "[N,64,%d,%d]" % (hw // 2, hw // 2), 0, 0))
	rows.append(("GlobalAveragePool", "-", "[N,128,1,1]", 0, 0))
	rows.append(("Flatten", "-", "[N,128]", 0, 0))
	rows.append(("fc Linear (Gemm)", "128->10", "[N,10]", 1280, 1290))
	total += 1280
	return rows, total


def shown_path(path):
	"""path relative to the source tree when inside it: the card must not name this checkout."""
	rel = os.path.relpath(os.path.abspath(path), ROOT)
	return path if rel.startswith("..") else rel


def write_card(path, info, dataset=FASHION):
	rows, total = layer_table(dataset)
	table = "\n".join("| %s | %s | %s | %s | %s |" % (r[0], r[1], r[2],
		 "{:,}".format(r[3]) if r[3] else "-", "{:,}".format(r[4]) if r[4] else "-")
		 for r in rows)
	nparams = info["params"]
	text = """# {prefix}: reference model for qx-bench

{description}
Generated by `tools/train_reference.py`; do not edit by hand.

## Files

| file | contents | sha256 |
|---|---|---|
| `{prefix}.onnx` | ONNX model, opset 13 | `{sha_onnx}` |
| `{prefix}.top1.u8` | PyTorch fp32 top-1 class per test image | `{sha_top1}` |
| `{prefix}.logits.f32` | PyTorch fp32 logits, first {n_logits} test images | `{sha_logits}` |
| `{prefix}.pt` | {pt_text} | `{sha_pt}` |

## Interface

- input `input`: float32 `[N,{channels},{size},{size}]`, NCHW, N dynamic (`dim_param` "N").
- output `logits`: float32 `[N,10]`, unnormalized (no softmax); class = argmax.
{normalization_text}
{classes_text}

## Architecture

Convs have no bias (BatchNorm's shift takes its place). The ONNX graph keeps the
five `BatchNormalization` nodes (inference form, epsilon 1e-5, one output each):
the importer folds them into the convs. Ops used: {ops}.

The export is checked when it is written: an independent float64 NumPy evaluator
of the ONNX file (`onnx_run_numpy` in the script, which parses the protobuf itself)
reproduces PyTorch's logits on the first 64 test images within {onnx_diff:.2g}.

| layer | channels | output shape | MACs / image | parameters |
|---|---|---|---|---|
{table}
| **total** | | | **{total:,}** | **{nparams:,}** |

(BN parameters counted as 4 per channel: scale, shift, running mean, running variance.)

## Training recipe

- Data: {data_text}
- Optimizer: AdamW, weight decay {wd}, batch {batch}, one-cycle learning-rate schedule
  with peak {lr} (`torch.optim.lr_scheduler.OneCycleLR`, default cosine annealing), {epochs} epochs.
- Augmentation (training only): {augment}.
- Seed {seed} (`torch.manual_seed` and a `torch.Generator` for shuffling and augmentation),
  `torch.set_num_threads({threads})`, CPU only, torch {torch_version}.
- Wall time: {train_s:.0f} s of training on this machine ({cpu}){load_note}.
{epoch_note}  Bit-identical weights are expected only with the same torch build and CPU.

## Accuracy

PyTorch fp32, eval mode, all {n_test:,} test images ({test_files}): **{acc:.2f}%**
({correct} / {n_test}).

## Output file formats

- `{prefix}.top1.u8`: {n_test:,} bytes; byte `i` is the class (0..9) PyTorch predicts
  (argmax of the logits; lowest index on ties) for test image `i`, in the order of
  {test_order}.
- `{prefix}.logits.f32`: {n_logits} x 10 float32, little-endian, row-major: the 10 logits
  of test image 0, then image 1, ... image {last_logit} ({logit_bytes:,} bytes, no header).

Both are computed in eval mode from the same fp32 weights as the ONNX file, batches
of 1000 images, so a correct fp32 executor reproduces them up to float rounding
(expect logits within about 1e-4 and the same top-1 except on near-ties).

## Regenerate

```
{regenerate}
```

`{dataset_args}--skip-training --recorded-train-s S` rebuilds the ONNX, the outputs and this card
from the saved `{prefix}.pt` without training.
""".format(table=table, total=total, nparams=nparams, prefix=dataset.prefix,
	   description=dataset.description, channels=dataset.channels, size=dataset.size,
	   normalization_text=dataset.normalization_text, classes_text=dataset.classes_text,
	   data_text=dataset.data_text.format(data_dir=shown_path(info["data_dir"]),
					      n_train=info["n_train"]),
	   pt_text=dataset.pt_text, dataset_args=dataset.dataset_args,
	   epoch_note=dataset.epoch_note, test_files=dataset.test_files,
	   test_order=dataset.test_order,
	   regenerate=dataset.regenerate.format(epochs=info["epochs"], seed=info["seed"],
						dataset_args=dataset.dataset_args),
	   last_logit=info["n_logits"] - 1, logit_bytes=info["n_logits"] * 40, **info)
	with open(path, "w") as f:
		f.write(text)


def cpu_name():
	try:
		with open("/proc/cpuinfo") as f:
			for line in f:
				if line.startswith("model name"):
					return line.split(":", 1)[1].strip()
	except OSError:
		pass
	return "unknown CPU"


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	ap.add_argument("--epochs", type=int, default=8)
	ap.add_argument("--batch-size", type=int, default=128)
	ap.add_argument("--lr", type=float, default=3e-3, help="peak learning rate")
	ap.add_argument("--weight-decay", type=float, default=5e-4)
	ap.add_argument("--seed", type=int, default=20240)
	ap.add_argument("--threads", type=int, default=2)
	ap.add_argument("--no-augment", dest="augment", action="store_false")
	ap.add_argument("--dataset", choices=sorted(DATASETS), default="fashion-mnist",
			help="fashion-mnist (default; writes fashion_cnn.*) or cifar10 (cifar_cnn.*)")
	ap.add_argument("--data-dir",
			help="the dataset's folder (default %s for fashion-mnist, %s for cifar10)"
			% (DATA_DIR, CIFAR_DATA_DIR))
	ap.add_argument("--out-dir", default=os.path.join(ROOT, "models"))
	ap.add_argument("--skip-training", action="store_true",
			help="load OUT_DIR/<prefix>.pt (fashion_cnn.pt, cifar_cnn.pt) instead of training")
	ap.add_argument("--recorded-train-s", type=float,
			help="with --skip-training: the training wall time to state in the card")
	ap.add_argument("--recorded-load", type=float,
			help="with --skip-training: the mean load average during training, for the card")
	args = ap.parse_args()
	dataset = DATASETS[args.dataset]
	args.data_dir = args.data_dir or dataset.data_dir
	missing = missing_data_files(dataset, args.data_dir)
	if missing:
		what = ("no such folder" if not os.path.isdir(args.data_dir)
			else "missing " + ", ".join(missing))
		sys.stderr.write("train_reference.py: %s: %s (expected %s)\n"
				 % (args.data_dir, what, dataset.expected))
		return 2

	torch.set_num_threads(args.threads)
	if not args.skip_training:
		print("training %s for %d epochs on %d thread(s): %s"
		      % (dataset.prefix, args.epochs, args.threads, dataset.time_note), flush=True)
	os.makedirs(args.out_dir, exist_ok=True)
	base = os.path.join(args.out_dir, dataset.prefix)
	model = FashionCNN(dataset.channels)
	if args.skip_training:
		model.load_state_dict(torch.load(base + ".pt"))
		train_s, load = args.recorded_train_s, args.recorded_load
		if train_s is None:
			ap.error("--skip-training needs --recorded-train-s (the card states the training time)")
	else:
		train_s, load = train(model, args, dataset)
		torch.save(model.state_dict(), base + ".pt")
	model.eval()

	test_u8, test_labels = load_split(dataset.test_split, dataset, args.data_dir)
	logits = predict(model, normalize(test_u8, dataset))
	top1 = logits.argmax(1).numpy().astype(np.uint8)
	correct = int((top1 == test_labels).sum())
	acc = 100.0 * correct / test_labels.shape[0]
	print("PyTorch fp32 test accuracy: %.2f%% (%d/%d)" % (acc, correct, test_labels.shape[0]))
	top1.tofile(base + ".top1.u8")
	logits[:LOGITS_IMAGES].numpy().astype("<f4").tofile(base + ".logits.f32")

	onnx_model = export_onnx(model, base + ".onnx", dataset)
	nodes = onnx_model["nodes"]
	onnx_diff = check_onnx_numerics(model, onnx_model, normalize(test_u8[:64], dataset))
	info = dict(
		sha_onnx=sha256(base + ".onnx"), sha_top1=sha256(base + ".top1.u8"),
		sha_logits=sha256(base + ".logits.f32"), sha_pt=sha256(base + ".pt"),
		ops=", ".join(sorted(set(n[0] for n in nodes))),
		params=sum(p.numel() for p in model.parameters()) +
		sum(b.numel() for n, b in model.named_buffers() if not n.endswith("num_batches_tracked")),
		wd=args.weight_decay, batch=args.batch_size, lr=args.lr, epochs=args.epochs,
		augment=dataset.augment_text if args.augment else "none",
		data_dir=args.data_dir, n_train=train_image_count(dataset, args.data_dir),
		n_test=test_labels.shape[0], n_logits=min(LOGITS_IMAGES, test_labels.shape[0]),
		seed=args.seed, threads=args.threads, torch_version=torch.__version__,
		train_s=train_s, cpu=cpu_name(), acc=acc, correct=correct, onnx_diff=onnx_diff,
		load_note="" if load is None else
		", 1-minute load average about %.1f during training%s" % (
			load, " (the cores were shared with other jobs, which inflates the time)"
			if load > 2.5 else ""))
	write_card(base + ".md", info, dataset)
	for suffix in (".onnx", ".pt", ".top1.u8", ".logits.f32", ".md"):
		print("wrote %s%s" % (base, suffix))
	print("next: qx-bench %s" % dataset.suite)
	return 0


if __name__ == "__main__":
	sys.exit(main())
