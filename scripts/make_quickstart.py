"""Write notebooks/01_quickstart.ipynb (kept as a script so the notebook is reviewable)."""

from pathlib import Path

import nbformat as nbf

cells = [
    nbf.v4.new_markdown_cell(
        "# hitl-widgets quickstart\n\n"
        "A model labels insurance claims; you check its labels from the keyboard.\n\n"
        "1. fine-tune the offline MiniLM encoder on part of the demo claims,\n"
        "2. predict the rest,\n"
        "3. review those real predictions in the widget (**Enter** accept, **1-6** correct, "
        "**F** flag, **S** skip, **Z** undo, **?** every key),\n"
        "4. read your decisions back as a DataFrame.\n\n"
        "Everything runs offline on a laptop CPU (a GPU is used when there is one)."
    ),
    nbf.v4.new_code_cell(
        "import os\n"
        "os.environ.setdefault('HF_HUB_OFFLINE', '1')  # never reach for the network\n\n"
        "import hitl_widgets as hw\n"
        "from hitl_widgets.data import CLAIM_TYPES, load_claims\n\n"
        "claims = load_claims()\n"
        "train = claims.groupby('claim_type', group_keys=False).sample(frac=0.4, random_state=0)\n"
        "pool = claims.drop(train.index)\n"
        "print(f'{len(claims)} claims: {len(train)} to train on, {len(pool)} to predict and review')\n"
        "claims.head(3)"
    ),
    nbf.v4.new_markdown_cell(
        "## 1. Train a classifier (about half a minute on a laptop CPU)\n\n"
        "`TextClassifier(mode='auto')` fits a head on frozen sentence embeddings when there are "
        "few labels and fine-tunes every weight when there are many; it says which it took."
    ),
    nbf.v4.new_code_cell(
        "clf = hw.TextClassifier(CLAIM_TYPES, mode='auto', seed=0)\n"
        "clf.fit(train['text'], train['claim_type'])\n"
        "print('trained with mode:', clf.mode_used)\n\n"
        "proba = clf.predict_proba(pool['text'])\n"
        "pool = pool.assign(pred=[CLAIM_TYPES[i] for i in proba.argmax(1)], confidence=proba.max(1))\n"
        "accuracy = (pool['pred'] == pool['claim_type']).mean()\n"
        "print(f'model accuracy on the pool: {accuracy:.1%}')"
    ),
    nbf.v4.new_markdown_cell(
        "## 2. Review: two lines for your own DataFrame\n\n"
        "Click the widget (or press Tab into it) and use the keyboard. Every decision is written to "
        "`quickstart.db` before the widget confirms it; until then the browser keeps it, so a "
        "closed tab or a killed kernel loses nothing. Re-running this cell resumes where you stopped."
    ),
    nbf.v4.new_code_cell(
        "review = hw.ClassificationReview(pool, text='text', labels=CLAIM_TYPES, pred='pred',\n"
        "                                 confidence='confidence', id='claim_id', store='quickstart.db')\n"
        "review"
    ),
    nbf.v4.new_markdown_cell(
        "## 3. Your decisions\n\n"
        "One row per reviewed claim, with its status, your label, the model's, and how long it took. "
        "`review.events()` is the full audit log; `hw.open_store('quickstart.db')` reads it without a widget."
    ),
    nbf.v4.new_code_cell("review.decisions()"),
    nbf.v4.new_markdown_cell(
        "Reviews can be scripted too (the same actions as the keys), e.g. to try things out:\n\n"
        "```python\n"
        "review.accept(); review.correct('theft'); review.flag(note='unclear'); review.undo()\n"
        "```"
    ),
]
nb = nbf.v4.new_notebook(
    cells=cells,
    metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    },
)
out = Path(__file__).resolve().parents[1] / "notebooks" / "01_quickstart.ipynb"
nbf.write(nb, out)
print("wrote", out)
