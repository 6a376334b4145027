import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderBarChart } from './svgChart.ts';

test('bar chart: one bar per estimate with its whisker, a note where there is no value, labels escaped', () => {
  const svg = renderBarChart({
    title: 'A & B',
    xLabel: 'rate',
    bars: [
      { label: '<vip>', value: 0.5, lower: 0.4, upper: 0.6, note: '0.50' },
      { label: 'small', value: null, note: 'not enough data (n = 3, needs 10)' },
    ],
  });
  assert.equal((svg.match(/class="bar"/g) ?? []).length, 1);
  assert.ok(svg.includes('&lt;vip&gt;') && !svg.includes('<vip>'));
  assert.ok(svg.includes('A &amp; B'));
  assert.ok(svg.includes('not enough data (n = 3, needs 10)'));
  // The bar runs from 0 to half the plot (760 − 200 − 40 = 520 wide): 260.
  assert.match(svg, /<rect class="bar" x="200\.0" y="\d+" width="260\.0"/);
});
