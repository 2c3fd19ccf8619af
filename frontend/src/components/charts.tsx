// Charts (Chart.js, only the parts used are registered so the bundle stays small).

import { useEffect, useRef } from "react";
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from "chart.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Tooltip, Legend);
Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', 'PingFang SC', 'Microsoft YaHei', sans-serif";
Chart.defaults.animation = false;

export interface Series {
  label: string;
  values: (number | null)[];
  color: string;
  axis?: "y" | "y2";
}

function useChart(config: ChartConfiguration, key: string) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, config);
    return () => chart.destroy();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return canvas;
}

export function BarChart({ labels, series, stacked, title }: { labels: string[]; series: Series[]; stacked?: boolean; title: string }) {
  const canvas = useChart(
    {
      type: "bar",
      data: { labels, datasets: series.map((s) => ({ label: s.label, data: s.values, backgroundColor: s.color })) },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        scales: { x: { stacked }, y: { stacked, beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: "bottom" } },
      },
    },
    JSON.stringify([labels, series, stacked]),
  );
  return (
    <div className="chart">
      <canvas ref={canvas} role="img" aria-label={title} />
    </div>
  );
}

export function LineChart({ labels, series, title }: { labels: string[]; series: Series[]; title: string }) {
  const twoAxes = series.some((s) => s.axis === "y2");
  const canvas = useChart(
    {
      type: "line",
      data: {
        labels,
        datasets: series.map((s) => ({
          label: s.label,
          data: s.values,
          borderColor: s.color,
          backgroundColor: s.color,
          yAxisID: s.axis ?? "y",
          spanGaps: true,
          tension: 0.2,
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          y: { beginAtZero: true, ticks: { precision: 0 } },
          ...(twoAxes ? { y2: { position: "right" as const, beginAtZero: true, grid: { drawOnChartArea: false } } } : {}),
        },
        plugins: { legend: { position: "bottom" } },
      },
    },
    JSON.stringify([labels, series]),
  );
  return (
    <div className="chart">
      <canvas ref={canvas} role="img" aria-label={title} />
    </div>
  );
}
