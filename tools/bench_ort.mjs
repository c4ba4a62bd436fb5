// Times one ONNX model in ONNX Runtime (onnxruntime-node, CPU execution provider) for `make
// bench`: the ORT column beside qx-bench's and PyTorch's (docs/benchmarks.md).
//
//   node tools/bench_ort.mjs MODEL.onnx IMAGES-DIR --label L [--batch 1,64] [--threads 1]
//        [--seconds 1] [--rounds 5] [--modules build/ort/node_modules] [-o OUT.json]
//
// One model per process (issue 14): ORT's arena, thread pool and caches hold one model only,
// as qx-bench's executor does. IMAGES-DIR is a `qx-bench export --dump N DIR` folder: real
// test images, preprocessed as the suite says (images.f32, meta.json); a batch larger than N
// repeats them. The session options match qx-bench's measurement: intra-op threads = --threads
// (qx-bench's --threads), inter-op threads 1, graph optimizations all (ORT fuses the QDQ
// pattern of a `qx-bench export` model into its int8 kernels), sequential execution.
//
// How it times: per batch size a warm-up (at least 3 calls and 0.2 s), then --rounds rounds
// that go over every batch size in turn (a neighbour's burst on the shared machine hits each
// batch alike), each round about --seconds / --rounds per batch size, every call timed. Wall
// time: performance.now() around `await session.run()` (the Node binding's own cost per call
// included, as a Node user pays it). CPU time: process.cpuUsage() (user + system of the whole
// process, every thread: ORT's pool threads and Node's own) around the same call; with one
// intra-op thread it is what time-slicing by other processes does not inflate, with two it
// sums both threads (so only wall time makes the 2-thread ratio).
//
// Prints one line per batch and writes (-o) {schema "qx-bench/bench-ort", schema_version 1,
// ort_version, model, label, threads, session, method, measurements[]: {system, batch,
// threads, unit "ms/batch", n, median, p90, min, images_per_s, cpu_median, cpu_p90}}.
// Exit status: 0 measured, 2 bad arguments or files, 3 ORT cannot load or run the model.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

const usage = 'usage: node tools/bench_ort.mjs MODEL.onnx IMAGES-DIR --label L [--batch 1,64] ' +
	'[--threads N] [--seconds S] [--rounds R] [--modules DIR] [-o OUT.json]';

function fail(code, msg) {
	console.error(`bench_ort: ${msg}`);
	process.exit(code);
}

function parseArgs(argv) {
	const a = { batch: [1, 64], threads: 1, seconds: 1, rounds: 5,
		    modules: 'build/ort/node_modules', label: null, out: null, pos: [] };
	const positive = (flag, v) => {
		const n = Number(v);
		if (!(n > 0)) fail(2, `${flag} '${v}': expected a positive number\n${usage}`);
		return n;
	};
	const integer = (flag, v) => {
		const n = positive(flag, v);
		if (!Number.isInteger(n)) fail(2, `${flag} '${v}': expected a positive integer\n${usage}`);
		return n;
	};
	for (let i = 0; i < argv.length; i++) {
		const f = argv[i];
		const next = () => {
			if (i + 1 >= argv.length) fail(2, `${f}: expected a value\n${usage}`);
			return argv[++i];
		};
		if (f === '--batch') a.batch = next().split(',').map((v) => integer('--batch', v));
		else if (f === '--threads') a.threads = integer('--threads', next());
		else if (f === '--seconds') a.seconds = positive('--seconds', next());
		else if (f === '--rounds') a.rounds = integer('--rounds', next());
		else if (f === '--modules') a.modules = next();
		else if (f === '--label') a.label = next();
		else if (f === '-o') a.out = next();
		else if (f.startsWith('-')) fail(2, `unknown option '${f}'\n${usage}`);
		else a.pos.push(f);
	}
	if (a.pos.length !== 2 || !a.label) fail(2, usage);
	return a;
}

const args = parseArgs(process.argv.slice(2));
const [model, dir] = args.pos;

let meta, images;
try {
	meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
	const b = readFileSync(join(dir, 'images.f32'));
	images = new Float32Array(b.buffer, b.byteOffset, b.length / 4);
} catch (e) {
	fail(2, `${dir}: ${e.message} (expected a qx-bench export --dump folder: meta.json, images.f32)`);
}
if (!Array.isArray(meta.shape) || !meta.shape.every((d) => Number.isInteger(d) && d > 0))
	fail(2, `${join(dir, 'meta.json')}: "shape" ${JSON.stringify(meta.shape)}: expected an array ` +
		'of positive integers (one image\'s shape)');
const perImage = meta.shape.reduce((x, y) => x * y, 1);
if (!(meta.count > 0) || images.length !== meta.count * perImage)
	fail(2, `${join(dir, 'images.f32')}: ${images.length} floats, expected count ${meta.count} x ` +
		`${perImage} (meta.json's shape ${JSON.stringify(meta.shape)})`);

const require = createRequire(join(resolve(args.modules), 'x.js'));
let ort;
try {
	ort = require('onnxruntime-node');
} catch (e) {
	fail(3, `cannot load onnxruntime-node from ${args.modules}: ${e.message} ` +
		'(tools/install-deps --ort installs it)');
}

const session_options = { executionProviders: ['cpu'], intraOpNumThreads: args.threads,
			  interOpNumThreads: 1, graphOptimizationLevel: 'all',
			  executionMode: 'sequential' };
let session;
try {
	session = await ort.InferenceSession.create(model, session_options);
} catch (e) {
	fail(3, `${model}: ORT cannot load it: ${e.message}`);
}
const input = session.inputNames[0];

// A batch of n images: the dumped ones in order, repeated when n is larger than the dump.
function batchOf(n) {
	const data = new Float32Array(n * perImage);
	for (let i = 0; i < n; i++)
		data.set(images.subarray((i % meta.count) * perImage, (i % meta.count + 1) * perImage),
			 i * perImage);
	return new ort.Tensor('float32', data, [n, ...meta.shape]);
}

async function call(feeds) {
	const c0 = process.cpuUsage();
	const t0 = performance.now();
	await session.run(feeds);
	const wall = performance.now() - t0;
	const c = process.cpuUsage(c0);
	return [wall, (c.user + c.system) / 1e3];
}

const configs = args.batch.map((n) => ({ batch: n, feeds: { [input]: batchOf(n) }, ms: [],
					  cpu: [] }));
try {
	for (const c of configs) {
		const end = performance.now() + 200;
		for (let k = 0; k < 3 || performance.now() < end; k++)
			await session.run(c.feeds);
	}
	const perRound = (args.seconds * 1e3) / args.rounds;
	for (let r = 0; r < args.rounds; r++)
		for (const c of configs) {
			const end = performance.now() + perRound;
			for (let k = 0; k < 2 || performance.now() < end; k++) {
				const [wall, cpu] = await call(c.feeds);
				c.ms.push(wall);
				c.cpu.push(cpu);
			}
		}
} catch (e) {
	fail(3, `${model}: ORT failed running it: ${e.message}`);
}

function quantile(v, q) {
	const s = [...v].sort((x, y) => x - y);
	const n = s.length;
	if (q === 0.5) return n % 2 ? s[(n - 1) / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
	return s[Math.min(n - 1, Math.round(q * (n - 1)))];
}

const measurements = configs.map((c) => {
	const median = quantile(c.ms, 0.5);
	return { system: args.label, batch: c.batch, threads: args.threads, unit: 'ms/batch',
		 n: c.ms.length, median, p90: quantile(c.ms, 0.9), min: Math.min(...c.ms),
		 images_per_s: (c.batch * 1e3) / median, cpu_median: quantile(c.cpu, 0.5),
		 cpu_p90: quantile(c.cpu, 0.9) };
});
const version = require('onnxruntime-node/package.json').version;
for (const m of measurements)
	console.log(`ort ${version} ${args.label} ${model} batch ${m.batch} threads ${m.threads}: ` +
		    `wall median ${m.median.toFixed(4)} ms (p90 ${m.p90.toFixed(4)}, n ${m.n}), ` +
		    `cpu median ${m.cpu_median.toFixed(4)} ms, ${m.images_per_s.toFixed(0)} images/s`);
if (args.out) {
	const doc = { schema: 'qx-bench/bench-ort', schema_version: 1, ort_version: version, model,
		      label: args.label, threads: args.threads, images: dir,
		      session: session_options,
		      method: `warm-up, then ${args.rounds} rounds over the batch sizes, ` +
			      `${args.seconds} s per batch size in all; wall: performance.now(), ` +
			      'cpu: process.cpuUsage() (whole process), per call',
		      measurements };
	writeFileSync(args.out + '.tmp', JSON.stringify(doc, null, 1) + '\n');
	renameSync(args.out + '.tmp', args.out);
}
