// Monaco's own editor worker (text diffing, link and word computations), bundled with the app.
import 'monaco-editor/editor/editor.worker';
