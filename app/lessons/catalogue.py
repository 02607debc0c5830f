"""Every idea ConvLens teaches, in teaching order: the words and the experiment of each lesson.

The page renders these words as they are (one source for the text). Every figure quoted
is measured and tested: the samples' and the model's figures (translation, the stem
filters, the fields and the effective field, the parameter counts, the maps' shapes) in
``tests/lessons/test_figures.py``, the spurious and learning curves' figures (what their
jobs return by default) in ``tests/lessons/test_experiments.py``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LessonText:
    id: str
    title: str
    summary: str
    text: str
    try_: str
    instrument: str
    endpoints: tuple[str, ...]
    needs_model: bool


IMAGE = "/api/images/{image_id}"
CONVOLVE = f"POST {IMAGE}/convolve"

LESSONS: tuple[LessonText, ...] = (
    LessonText(
        "dot-product", "A filter is a dot product",
        "Every output pixel is the kernel's weights times the pixels under it, added up.",
        "Put a 3x3 kernel over a 3x3 patch of the photo, multiply each weight by the pixel "
        "under it and add the nine products: that sum, a dot product, is one output pixel. "
        "The window then slides one stride and does the same again, over the whole photo. "
        "Like every CNN library, ConvLens does not flip the kernel first, so strictly this "
        "is cross-correlation.",
        "Click an output pixel: the inspector writes out the nine products and their sum. "
        "Step the window one pixel right and see which products change.",
        "inspector", (f"POST {IMAGE}/inspect", CONVOLVE), False),
    LessonText(
        "edges", "Two filters, two kinds of edges",
        "Sobel x finds vertical edges, Sobel y horizontal ones, and their magnitude finds both.",
        "Sobel x compares each pixel's left and right neighbours, so it answers where the "
        "brightness changes from left to right: along vertical edges. Sobel y is the same "
        "kernel turned a quarter, and answers along horizontal edges. Their outputs are "
        "signed (dark-to-light and light-to-dark have opposite signs); the magnitude "
        "sqrt(x\u00b2 + y\u00b2) keeps every edge whatever its direction.",
        "Find an edge that lights up in one output and stays dark in the other, then look "
        "for it in the magnitude.",
        "edges", (CONVOLVE,), False),
    LessonText(
        "translation", "The same filter everywhere",
        "A convolution's map moves with the photo, exactly only by whole steps of its stride.",
        "A convolution uses the same weights at every position, so when the photo moves, its "
        "map moves with it, but exactly only by multiples of the layer's stride: on the dog "
        "sample the stem's map (stride 2) follows a two-pixel shift sideways to a cosine "
        "above 0.999 and a one-pixel shift only to 0.95. Deeper units also see the padding "
        "at the view's edge, so even aligned shifts match less there (0.97 at stage 4, "
        "stride 16, for a 16-pixel shift), and the prediction is only roughly invariant: "
        "moving the cat sample's view one pixel down turns its top class from tiger cat to "
        "Egyptian cat, two classes it had nearly tied (39% against 35%, then 37% against "
        "38%).",
        "Move the view by one pixel, then by two, at the stem: compare the map similarity. "
        "Then find, on the plot, the largest drop in the top class's probability.",
        "translation", (f"GET {IMAGE}/translation", f"GET {IMAGE}/translation/map",
                        f"GET {IMAGE}/translation/crop"), True),
    LessonText(
        "learned-filters", "Filters are learned, not designed",
        "The network's first 32 filters were set by training, not written by a person.",
        "Nobody typed the 864 weights of the network's first layer (32 filters of 3x3 over "
        "red, green and blue): training on ImageNet set them, to whatever helped classify. "
        "Some resemble hand-made edge detectors (summed over red, green and blue, the one "
        "closest to Sobel y or its negative matches the negative, with a cosine similarity "
        "of 0.84); others mix colours in ways no preset does.",
        "Compare the learned filter most like Sobel y with Sobel y itself on your photo, "
        "then send another stem filter to the playground.",
        "stem-filters", ("GET /api/model/filters/stem", "GET /api/kernels/presets"), True),
    LessonText(
        "hierarchy", "Deeper units see more",
        "Each layer combines neighbouring units of the one before, so deeper units see more "
        "of the photo.",
        "A stem unit sees a 3x3 patch of the model's 224x224 view. Each later layer combines "
        "neighbouring units of the layer before, so the patch grows: 19 pixels at stage 2, "
        "147 at stage 4, 787 at stage 6, more than the whole view (the rest is padding). "
        "The gradient shows how much each pixel really moves the unit (its effective "
        "field): on the cat and the dog, the central quarter of a stage 3 unit's box (half "
        "its width, half its height) holds 83-94% of it, over ten units.",
        "Click a unit of the stem's map, then the same place in stage 4's, and compare the "
        "two boxes on the photo.",
        "receptive-field", (f"GET {IMAGE}/stages/{{stage}}/receptive-field", "GET /api/model",
                            f"GET {IMAGE}/stages/{{stage}}/atlas"), True),
    LessonText(
        "parameter-sharing", "Shared weights",
        "A filter reuses its few weights at every position, where a dense layer needs one "
        "weight per pixel.",
        "One neuron of a dense layer looking at a 100x100 image needs 10,000 weights, one per "
        "pixel; 100 convolution filters of 3x3 need 900 weights and 100 biases in all, "
        "because each filter is reused at every position. In this network the stem has 928 "
        "parameters, where a dense layer from the same 224x224 input to the same 32x112x112 "
        "output would need about 60 billion.",
        "In the table, find the stage where a dense layer would cost the most compared with "
        "what the stage really has.",
        "parameter-count", ("GET /api/model",), True),
    LessonText(
        "pooling", "Pooling keeps the strongest",
        "Max pooling keeps the largest value of each window and halves the size.",
        "A 2x2 max pool replaces each 2x2 window by its largest value, so the output is half "
        "as wide and half as tall, and a response anywhere in the window survives. Average "
        "pooling keeps the window's mean instead, which dilutes a single strong response "
        "with its weaker neighbours.",
        "Pool Sobel x's output with max, then with average, and click a pooled pixel to see "
        "its window and which value won.",
        "pooling", (CONVOLVE, f"POST {IMAGE}/inspect"), False),
    LessonText(
        "output-size", "Stride, padding and dilation set the size",
        "The output size follows floor((n + 2p - d(f - 1) - 1) / s) + 1 along each side.",
        "Along each side, an input of n pixels, a kernel of f, padding p, dilation d and "
        "stride s give floor((n + 2p - d(f - 1) - 1) / s) + 1 output pixels (without "
        "dilation, floor((n + 2p - f) / s) + 1). A stride of 2 halves the output; padding by "
        "(f - 1) / 2 keeps a stride-1 output the input's size; "
        "dilation spreads the kernel without adding weights, and shrinks the output like a "
        "larger kernel.",
        "Set the stride to 2 and see the output halve; then dilate a 3x3 kernel by 2 and see "
        "it shrink as a 5x5 would.",
        "output-size", (CONVOLVE,), False),
    LessonText(
        "relu", "ReLU removes negatives",
        "ReLU sets every negative value to zero before the next layer sees it.",
        "A convolution's output has both signs. ReLU keeps the positive values and sets "
        "every negative one to zero, so the next layer hears where a pattern is present, "
        "not where its opposite is. The histogram shows it: the whole negative side "
        "collapses into the bar at zero (this network uses ReLU6, which also caps "
        "values at 6).",
        "Compare Sobel x's output without ReLU and with it, side by side: which edges "
        "disappear, and what share of the values became zero?",
        "relu", (CONVOLVE,), False),
    LessonText(
        "dog-maps", "Inside the network, stage by stage",
        "The network turns a photo into more and smaller maps, from edges to parts of "
        "objects.",
        "The stem turns the 224x224 view into 32 maps of 112x112; each stage after it makes "
        "more, smaller maps, down to 1280 maps of 7x7 at the head, which are averaged and "
        "read by the classifier. Early maps respond to edges and colours all over the "
        "photo; late ones respond to larger patterns, often parts of objects. Grad-CAM shows "
        "where the evidence for the predicted class lies.",
        "On the dog, click the stem's map and then stage 6's: each opens in Inside the CNN "
        "on that stage's strongest channel. Compare where each one lights up.",
        "cnn-maps", (f"POST {IMAGE}/predict", f"GET {IMAGE}/stages",
                     f"GET {IMAGE}/stages/{{stage}}/atlas", f"GET {IMAGE}/gradcam"), True),
    LessonText(
        "transfer", "A frozen network learns new classes",
        "Keep the network frozen and train only a new last layer: seconds on a CPU.",
        "Teach it runs each of your photos (with mirrored and zoomed views of it) through "
        "the frozen network once, keeps the 1280 pooled features of each, and trains only a "
        "new last layer on them: one weight per feature and class. That is why it takes "
        "seconds on a CPU, and why it generalises only as far as your photos vary.",
        "Choose another photo above (none of them was among the twelve it trained on) and "
        "see which of the two classes it is given; then go on in Teach it with photos of your "
        "own.",
        "teach", ("POST /api/projects", "POST /api/projects/{pid}/train",
                  "POST /api/projects/{pid}/predict"), True),
    LessonText(
        "spurious", "It learns the background",
        "A classifier learns whatever separates its classes, even the background; varied "
        "photos are the cure.",
        "Here drawn white discs always sit on the mountains photo and drawn squares on the "
        "rocket photo (a rocket on its launch pad), and the new classifier learns the "
        "background: swap the backgrounds and it is almost always wrong. Retrain with a "
        "growing share of each shape on the other background: over ten repeats with "
        "different scenes, a few (two to four) such photos in forty per class lift the "
        "swapped-background accuracy above 90% (on average from two, in every repeat from "
        "three), while with one the repeats range from 38% to 91%. Once the background no "
        "longer separates the classes perfectly, the shape is what is left to learn.",
        "Find the smallest mixed share at which the swapped-background accuracy passes 90%.",
        "spurious", ("POST /api/projects/demo", "POST /api/lessons/spurious",
                     "GET /api/lessons/spurious/{job_id}"), True),
    LessonText(
        "how-many-images", "How many photos you need",
        "Classes the network's features already tell apart need a few photos each; classes "
        "whose photos share no look need many more.",
        "Fishes and tools each share a look the network's features already separate: on the "
        "bundled photos (the mean of ten random draws), one photo per class gets about 90% "
        "of the held-out photos right and four get nearly all. A monument in France and one "
        "in India share no look (each class is ten different buildings), so only examples "
        "teach which country is which: about 60% from one photo per class (chance is 50%), "
        "about 85% from four and about 90% from eight. Single draws spread widely, from 50% "
        "to 100% at eight photos, where only two per class are left to judge on.",
        "Read both curves at three photos per class: how far apart are they?",
        "learning-curve", ("POST /api/lessons/how-many-images",
                           "GET /api/lessons/how-many-images/{job_id}"), True),
)
