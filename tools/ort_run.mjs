// Runs an ONNX model with ONNX Runtime (onnxruntime-node, CPU) on the images qx-bench export
// --dump wrote, writes ORT's logits next to them (ort_logits.f32) and compares them with
// qx-bench's int8 logits (logits.f32): how many images have bit-identical logits, how many the
// same top-1 class, and the largest difference. Used by tests/ort_export.sh.
//
//   node tools/ort_run.mjs MODEL.onnx DUMP-DIR [NODE_MODULES-DIR]
//
// Prints one line:  images N bitexact B top1 T maxdiff D
// Exit status: 0 ran (whatever the counts), 2 bad arguments or files, 3 ORT failed.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const [model, dir, modules] = process.argv.slice(2);
if (!model || !dir) {
	console.error('usage: node tools/ort_run.mjs MODEL.onnx DUMP-DIR [NODE_MODULES-DIR]');
	process.exit(2);
}
const require = createRequire(join(resolve(modules ?? 'build/ort/node_modules'), 'x.js'));
let ort;
try {
	ort = require('onnxruntime-node');
} catch (e) {
	console.error(`ort_run: cannot load onnxruntime-node: ${e.message}`);
	process.exit(3);
}

function f32(path) {
	const b = readFileSync(path);
	return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
}

let meta, images, mine;
try {
	meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
	images = f32(join(dir, 'images.f32'));
	mine = f32(join(dir, 'logits.f32'));
} catch (e) {
	console.error(`ort_run: ${dir}: ${e.message} (expected qx-bench export --dump output)`);
	process.exit(2);
}
const n = meta.count, cls = meta.classes, img = meta.shape.reduce((a, b) => a * b, 1);

let session;
try {
	session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'],
	                                                      intraOpNumThreads: 1 });
} catch (e) {
	console.error(`ort_run: ${model}: ORT cannot load it: ${e.message}`);
	process.exit(3);
}
const theirs = new Float32Array(n * cls);
const batch = 100;
for (let i = 0; i < n; i += batch) {
	const m = Math.min(batch, n - i);
	const x = new ort.Tensor('float32', images.slice(i * img, (i + m) * img), [m, ...meta.shape]);
	const out = await session.run({ [meta.input]: x });
	theirs.set(out[meta.output].data, i * cls);
}
writeFileSync(join(dir, 'ort_logits.f32'), Buffer.from(theirs.buffer));

const argmax = (a, o) => { let k = 0; for (let j = 1; j < cls; j++) if (a[o + j] > a[o + k]) k = j; return k; };
let bitexact = 0, top1 = 0, maxdiff = 0;
const bm = new Uint32Array(mine.buffer, mine.byteOffset, mine.length);
const bt = new Uint32Array(theirs.buffer, 0, theirs.length);
for (let i = 0; i < n; i++) {
	let same = true;
	for (let j = 0; j < cls; j++) {
		const k = i * cls + j;
		if (bm[k] !== bt[k]) same = false;
		maxdiff = Math.max(maxdiff, Math.abs(mine[k] - theirs[k]));
	}
	bitexact += same;
	top1 += argmax(mine, i * cls) === argmax(theirs, i * cls);
}
console.log(`images ${n} bitexact ${bitexact} top1 ${top1} maxdiff ${maxdiff}`);
