"""nn.plot: a decision boundary a reader can decode (axis labels, a legend, training and
validation points told apart), and the loss curve's best-epoch line on the epoch the text names."""

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("numpy")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import nn  # noqa: E402
import nn.plot  # noqa: E402


@pytest.fixture(scope="module")
def trained():
    data = nn.spirals(150, k=3, noise=0.2, seed=0)
    train, val = nn.split(data, 0.7, 0.3, seed=0)
    model = nn.MLP(2, [16, 16, 3], init="he", seed=0)
    history = nn.fit(model, "cross_entropy", nn.Adam(model.parameters(), lr=0.05), train, epochs=300,
                     batch_size=35, val=val, early_stopping=10, compiled=True)
    return model, train, val, history


def test_decision_boundary_has_axis_labels_a_legend_and_distinguishable_sets(trained):
    import matplotlib.pyplot as plt

    model, train, val, _ = trained
    ax = nn.plot.decision_boundary(model, train, "cross_entropy", val=val)
    assert ax.get_xlabel().startswith("x₁") and ax.get_ylabel().startswith("x₂")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["predicted class 0", "predicted class 1", "predicted class 2",
                      f"training points ({len(train)})", f"validation points ({len(val)})"]
    train_pts, val_pts = ax.collections[-2:]  # after the filled contours
    assert len(train_pts.get_offsets()) == len(train) and len(val_pts.get_offsets()) == len(val)
    assert train_pts.get_paths()[0] != val_pts.get_paths()[0]  # circles vs triangles
    assert val_pts.get_facecolors().size == 0 and train_pts.get_facecolors().size > 0  # hollow vs filled
    plt.close(ax.figure)

    ax = nn.plot.decision_boundary(model, train, "cross_entropy")  # no validation set: no such entry
    assert [t.get_text() for t in ax.get_legend().get_texts()][-1] == f"training points ({len(train)})"
    plt.close(ax.figure)


def test_loss_curve_marks_the_best_epoch_1_based_like_its_x_axis(trained):
    import matplotlib.pyplot as plt

    *_, history = trained
    assert history.stopped_early and history.best_epoch < history.epochs - 1
    ax = nn.plot.loss_curve(history)
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == "best epoch (kept)"]
    assert line.get_xdata()[0] == history.best_epoch + 1  # epochs are drawn 1, 2, ..., N
    assert list(ax.get_lines()[0].get_xdata()) == list(range(1, history.epochs + 1))
    plt.close(ax.figure)
