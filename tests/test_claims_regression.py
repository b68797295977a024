"""The red team's student-style claims on hw2 (202 in round 1, 140 in round 2; every
question with a checker context, about half of them wrong) with the verdict each should get:
a regression test of the verdict engine and of the LaTeX reader in front of it."""

import pytest

import symgrad as sg

# (number, question, index base, expected verdict, claim, why that verdict)
CLAIMS = [
    (0, "1.1.a", 1, "correct",
     r"f_W(x) \in \mathbb{R}^{5 \times 2}",
     r"floor(17/4)+1=5, floor(7/4)+1=2"),
    (1, "1.1.a", 1, "correct",
     r"R^{5x2}",
     r"plain-text x as times"),
    (2, "1.1.a", 1, "correct",
     r"\hat{y} \in R^{1 \times 5 \times 2}",
     r"one filter"),
    (3, "1.1.a", 1, "correct",
     r"F \times 5 \times 2",
     r"F filters; F=1 here"),
    (4, "1.1.a", 1, "correct",
     r"\left(\left\lfloor \frac{21-4}{4} \right\rfloor + 1\right) \times \left(\left\lfloor "
     r"\frac{12-5}{4} \right\rfloor + 1\right)",
     r"unevaluated formula = 5 x 2"),
    (5, "1.1.a", 1, "correct",
     r"y \in \mathbb{R}^{5\times2}",
     r"y alias"),
    (6, "1.1.a", 1, "correct",
     r"\mathbb{R}^{5 \times 2 \times 1}",
     r"trailing singleton (channel-last) dropped -> 5x2; DESIGN: dropping singleton dims is "
     r"correct"),
    (7, "1.1.a", 1, "incorrect",
     r"f_W(x) \in \mathbb{R}^{4 \times 1}",
     r"forgot +1"),
    (8, "1.1.a", 1, "incorrect",
     r"5 \times 1",
     r"width: floor(7/4)+1=2 not 1"),
    (9, "1.1.a", 1, "incorrect",
     r"\mathbb{R}^{18 \times 8}",
     r"ignored stride"),
    (10, "1.1.a", 1, "incorrect",
     r"f_W(x) \in R^{6 \times 2}",
     r"ceil(21/4)=6 wrong"),
    (11, "1.1.a", 1, "incorrect",
     r"4 \times 2",
     r"height floor(17/4)=4, forgot +1"),
    (12, "1.1.a", 1, "incorrect",
     r"\mathbb{R}^{5 \times 2 \times 4}",
     r"extra axis"),
    (13, "1.1.a", 1, "layout",
     r"R^{2 \times 5}",
     r"axes swapped; DESIGN: permuted axes -> layout"),
    (14, "1.1.a", 1, "correct",
     r"f_W(x) \in \mathbb{R}^{1x5x2}",
     r"plain x, no spaces"),
    (15, "1.1.a", 1, "correct",
     r"(5, 2)",
     r"tuple notation"),
    (16, "1.1.b", 1, "correct",
     r"\mathbb{R}^{F \times (\lfloor \frac{H+2P-D(K-1)-1}{S} \rfloor + 1) \times (\lfloor "
     r"\frac{W+2P-D(K-1)-1}{S} \rfloor + 1)}",
     r"standard formula"),
    (17, "1.1.b", 1, "correct",
     r"f_W(x) \in R^{F \times \left(\left\lfloor \frac{H - D(K-1) + 2P - 1}{S} \right\rfloor + "
     r"1\right) \times \left(\left\lfloor \frac{W - D(K-1) + 2P - 1}{S} \right\rfloor + 1\right)}",
     r"reordered terms"),
    (18, "1.1.b", 1, "correct",
     r"F \times \left\lfloor \frac{H + 2P - D(K-1) - 1 + S}{S} \right\rfloor \times \left\lfloor "
     r"\frac{W + 2P - D(K-1) - 1 + S}{S} \right\rfloor",
     r"floor(a/S)+1 = floor((a+S)/S)"),
    (19, "1.1.b", 1, "correct",
     r"F \times \left\lfloor \frac{H+2P-D \cdot (K-1)-1}{S} + 1 \right\rfloor \times \left\lfloor "
     r"\frac{W+2P-D \cdot (K-1)-1}{S} + 1 \right\rfloor",
     r"+1 inside floor, same value"),
    (20, "1.1.b", 1, "correct",
     r"F \times \lceil \frac{H+2P-DK+D}{S} \rceil \times \lceil \frac{W+2P-DK+D}{S} \rceil",
     r"ceil(a/S) = floor((a-1)/S)+1 for integer a>=1"),
    (21, "1.1.b", 1, "correct",
     r"output \in \mathbb{R}^{F \times (\lfloor (H+2P-D*(K-1)-1)/S \rfloor + 1) \times (\lfloor "
     r"(W+2P-D*(K-1)-1)/S \rfloor + 1)}",
     r"asterisk multiplication, 'output' name"),
    (22, "1.1.b", 1, "correct",
     r"F \times \left(\left\lfloor \frac{H+2P-D(K-1)-1}{S} \right\rfloor + 1\right) \times "
     r"\left(\left\lfloor \frac{W+2P-D(K-1)-1}{S} \right\rfloor + 1\right)",
     r"seed-like correct"),
    (23, "1.1.b", 1, "incorrect",
     r"F \times \left(\frac{H+2P-D(K-1)-1}{S} + 1\right) \times \left(\frac{W+2P-D(K-1)-1}{S} + "
     r"1\right)",
     r"no floor: non-integer for e.g. H=4,K=1,S=3... fails"),
    (24, "1.1.b", 1, "incorrect",
     r"F \times (\lfloor \frac{H+P-D(K-1)-1}{S} \rfloor + 1) \times (\lfloor "
     r"\frac{W+P-D(K-1)-1}{S} \rfloor + 1)",
     r"padding counted once"),
    (25, "1.1.b", 1, "incorrect",
     r"C \times (\lfloor \frac{H+2P-D(K-1)-1}{S} \rfloor + 1) \times (\lfloor "
     r"\frac{W+2P-D(K-1)-1}{S} \rfloor + 1)",
     r"C instead of F"),
    (26, "1.1.b", 1, "incorrect",
     r"(\lfloor \frac{H+2P-D(K-1)-1}{S} \rfloor + 1) \times (\lfloor \frac{W+2P-D(K-1)-1}{S} "
     r"\rfloor + 1)",
     r"filters axis missing (F not 1 in general)"),
    (27, "1.1.b", 1, "incorrect",
     r"F \times (\lfloor \frac{H+2P-DK}{S} \rfloor + 1) \times (\lfloor \frac{W+2P-DK}{S} \rfloor "
     r"+ 1)",
     r"dilated extent is D(K-1)+1 not DK (differs for D>=2)"),
    (28, "1.1.b", 1, "incorrect",
     r"F \times (\lfloor \frac{H+2P-D(K-1)}{S} \rfloor + 1) \times (\lfloor \frac{W+2P-D(K-1)}{S} "
     r"\rfloor + 1)",
     r"missing -1: H=2,K=1,S=2 gives 2 vs 1"),
    (29, "1.1.b", 1, "incorrect",
     r"F \times (\lceil \frac{H+2P-D(K-1)-1}{S} \rceil + 1) \times (\lceil \frac{W+2P-D(K-1)-1}{S} "
     r"\rceil + 1)",
     r"ceil instead of floor"),
    (30, "1.1.b", 1, "incorrect",
     r"F \times \frac{H+2P-K}{S}+1 \times \frac{W+2P-K}{S}+1",
     r"no dilation, no floor"),
    (31, "1.1.c.i", 1, "correct",
     r"f_W(x) \in \mathbb{R}^{1 \times 3}, \quad f_W(x)[1,j] = \sum_{c=1}^{5} \sum_{k=1}^{3} "
     r"W[1,c,k] \, x[c, 2j+k-2]",
     r"shape and element"),
    (32, "1.1.c.i", 1, "correct",
     r"\hat{y}_{j} = \sum_{i=1}^{5} \sum_{m=-1}^{1} W_{i,m+2} \, x_{i,2j+m}",
     r"centered kernel index m in -1..1 (problem's M form)"),
    (33, "1.1.c.i", 1, "correct",
     r"f_W(x) \in R^{3}",
     r"singleton filter axis dropped"),
    (34, "1.1.c.i", 0, "correct",
     r"y[0,j] = \sum_{c=0}^{4}\sum_{k=0}^{2} W[0,c,k] \cdot x[c,2j+k]",
     r"0-based"),
    (35, "1.1.c.i", 1, "correct",
     r"f_W(x)[1, j] = \sum_{c=1}^{5} \left( W[1,c,1] x[c,2j-1] + W[1,c,2] x[c,2j] + W[1,c,3] "
     r"x[c,2j+1] \right)",
     r"taps written out"),
    (36, "1.1.c.i", 1, "correct",
     r"\hat{y}_{1,j} = \sum_{c=1}^{5}\sum_{k=1}^{3} W_{1,c,k} X_{c,2(j-1)+k}",
     r"X alias, 2(j-1)+k"),
    (37, "1.1.c.i", 1, "correct",
     r"f_{W}(x)_{j} = \sum_{k=1}^{3} \sum_{c=1}^{5} w_{c,k} \, x_{c,\,2j+k-2}",
     r"lower-case w alias and \, spacing"),
    (38, "1.1.c.i", 1, "unparsed",
     r"\hat{y} \in \mathbb{R}^{1 \times 3}, \hat{y}_{1,j} = \sum_{c=1}^{5} W_{c} \cdot x_{c, "
     r"2j-1:2j+1}",
     r"slice notation (DESIGN: unparsed with construct)"),
    (39, "1.1.c.i", 1, "incorrect",
     r"f_W(x)[1,j] = \sum_{c=1}^{5}\sum_{k=1}^{3} W[1,c,k] x[c,2j-k+2]",
     r"true convolution (flipped kernel), not cross-correlation"),
    (40, "1.1.c.i", 1, "incorrect",
     r"f_W(x)[1,j] = \sum_{c=1}^{5}\sum_{k=1}^{3} W[1,c,k] x[c,j+k-1]",
     r"stride ignored"),
    (41, "1.1.c.i", 1, "incorrect",
     r"\hat{y}_{j} = \sum_{c=1}^{5}\sum_{k=1}^{3} W_{c,k} x_{c,2j+k}",
     r"0-based formula with 1-based indices: off by two"),
    (42, "1.1.c.i", 1, "incorrect",
     r"f_W(x) \in \mathbb{R}^{1 \times 4}",
     r"floor(4/2)+1=3"),
    (43, "1.1.c.i", 1, "incorrect",
     r"f_W(x)[1,j] = \sum_{k=1}^{3} W[1,j,k] x[j,2j+k-2]",
     r"channel index tied to output index, no channel sum"),
    (44, "1.1.c.i", 1, "incorrect",
     r"\hat{y}_{j} = \sum_{k=1}^{3} W_{c,k} x_{c,2j+k-2}",
     r"c free on right, missing channel sum"),
    (45, "1.1.c.i", 1, "incorrect",
     r"f_W(x) \in \mathbb{R}^{5 \times 3}, \quad f_W(x)[c,j] = \sum_{k=1}^{3} W[1,c,k] x[c,2j+k-2]",
     r"per-channel output: wrong shape (no channel sum)"),
    (46, "1.1.c.ii", 1, "correct",
     r"\frac{\partial f_W(x)}{\partial W} \in \mathbb{R}^{1 \times 3 \times 1 \times 5 \times 3}",
     r"numerator layout"),
    (47, "1.1.c.ii", 1, "correct",
     r"\frac{\partial \hat{y}}{\partial W} \in R^{3 \times 5 \times 3}",
     r"singletons dropped"),
    (48, "1.1.c.ii", 1, "correct",
     r"\frac{\partial f_W(x)[1,j]}{\partial W[1,c,k]} = x[c, 2j+k-2]",
     ""),
    (49, "1.1.c.ii", 1, "correct",
     r"\frac{\partial y_j}{\partial W_{c,k}} = X_{c,2(j-1)+k}",
     ""),
    (50, "1.1.c.ii", 0, "correct",
     r"\frac{\partial \hat{y}[0,j]}{\partial W[0,c,k]} = x[c,2j+k]",
     r"0-based"),
    (51, "1.1.c.ii", 1, "correct",
     r"\frac{\partial f_W(x)[f,j]}{\partial W[f',c,k]} = \delta_{ff'} x[c,2j+k-2]",
     r"filter delta"),
    (52, "1.1.c.ii", 1, "correct",
     r"\frac{\partial \hat{y}_{1,j}}{\partial W_{1,c,k}} = x_{c,\,2j+k-2}",
     ""),
    (53, "1.1.c.ii", 1, "correct",
     r"\frac{\partial \hat{y}_{j}}{\partial W_{c,m}} = \sum_{l=1}^{7} x_{c,l} \delta_{l,2j+m-2}",
     r"delta sum form"),
    (54, "1.1.c.ii", 1, "incorrect",
     r"\frac{\partial \hat{y}_{j}}{\partial W_{c,k}} = x_{c,2k+j-2}",
     r"j and k swapped (stride on tap)"),
    (55, "1.1.c.ii", 1, "incorrect",
     r"\frac{\partial \hat{y}_{j}}{\partial W_{c,k}} = x_{c,j+k-1}",
     r"stride ignored"),
    (56, "1.1.c.ii", 1, "incorrect",
     r"\frac{\partial f_W(x)}{\partial W} \in \mathbb{R}^{1 \times 5 \times 3}",
     r"shape of W only"),
    (57, "1.1.c.ii", 1, "incorrect",
     r"\frac{\partial \hat{y}_{j}}{\partial W_{c,k}} = W_{c,k}",
     r"derivative is x not W"),
    (58, "1.1.c.ii", 1, "incorrect",
     r"\frac{\partial \hat{y}_{j}}{\partial W_{c,k}} = \sum_{c=1}^{5} x_{c,2j+k-2}",
     r"spurious sum over channels"),
    (59, "1.1.c.ii", 1, "layout",
     r"\frac{\partial \hat{y}}{\partial W} \in \mathbb{R}^{3 \times 3 \times 5}",
     r"axes permuted (channels last)"),
    (60, "1.1.c.ii", 1, "incorrect",
     r"\frac{\partial \hat{y}_{j}}{\partial W_{c,k}} = x_{c,2j+k-3}",
     r"off by one"),
    (61, "1.1.c.iii", 1, "correct",
     r"\frac{\partial f_W(x)}{\partial x} \in \mathbb{R}^{1 \times 3 \times 5 \times 7}",
     ""),
    (62, "1.1.c.iii", 1, "correct",
     r"\frac{\partial \hat{y}}{\partial x} \in \mathbb{R}^{3 \times 35}",
     r"flattened x axes in order"),
    (63, "1.1.c.iii", 1, "correct",
     r"\frac{\partial \hat{y}_{j}}{\partial x_{c,l}} = \begin{cases} W_{c,l-2j+2} & \text{if } "
     r"2j-1 \le l \le 2j+1 \\ 0 & \text{otherwise} \end{cases}",
     r"window condition"),
    (64, "1.1.c.iii", 1, "correct",
     r"\frac{\partial f_W(x)[1,j]}{\partial x[c,l]} = \begin{cases} W[1,c,l-2j+2], & 1 \leq l-2j+2 "
     r"\leq 3 \\ 0, & \text{else} \end{cases}",
     r"commas in cases"),
    (65, "1.1.c.iii", 1, "correct",
     r"\frac{\partial \hat{y}_{j}}{\partial x_{c,l}} = \begin{cases} W_{c,l-2j+2} & \text{if } "
     r"|l-2j| \le 1 \\ 0 & \text{otherwise} \end{cases}",
     r"absolute value condition"),
    (66, "1.1.c.iii", 0, "correct",
     r"\frac{\partial y[0,j]}{\partial x[c,l]} = \begin{cases} W[0,c,l-2j] & \text{if } 0 \le l-2j "
     r"\le 2 \\ 0 & \text{otherwise}\end{cases}",
     r"0-based"),
    (67, "1.1.c.iii", 1, "correct",
     r"\frac{\partial \hat{y}_{j}}{\partial x_{c,l}} = \sum_{k=1}^{3} W_{c,k} [l = 2j+k-2]",
     r"Iverson bracket"),
    (68, "1.1.c.iii", 1, "correct",
     r"\frac{\partial \hat{y}_{1,j}}{\partial X_{c,l}} = \mathbb{1}\{2j-1 \le l \le 2j+1\} \, "
     r"W_{1,c,l-2j+2}",
     r"indicator function"),
    (69, "1.1.c.iii", 1, "correct",
     r"\frac{\partial \hat{y}_{j}}{\partial x_{c,l}} = \begin{cases} W_{c,l-2j+2} & \text{if } l "
     r"\in \{2j-1, 2j, 2j+1\} \\ 0 & \text{otherwise} \end{cases}",
     r"set membership condition"),
    (70, "1.1.c.iii", 1, "incorrect",
     r"\frac{\partial \hat{y}_{j}}{\partial x_{c,l}} = \begin{cases} W_{c,2j+2-l} & \text{if } "
     r"2j-1 \le l \le 2j+1 \\ 0 & \text{otherwise} \end{cases}",
     r"flipped kernel"),
    (71, "1.1.c.iii", 1, "incorrect",
     r"\frac{\partial \hat{y}_{j}}{\partial x_{c,l}} = \begin{cases} W_{c,l-j+1} & \text{if } j "
     r"\le l \le j+2 \\ 0 & \text{otherwise} \end{cases}",
     r"stride ignored"),
    (72, "1.1.c.iii", 1, "incorrect",
     r"\frac{\partial \hat{y}_{j}}{\partial x_{c,l}} = \begin{cases} W_{c,l-2j+2} & \text{if } "
     r"2j-2 \le l \le 2j+2 \\ 0 & \text{otherwise} \end{cases}",
     r"window too wide; entries with tap 0 or 4 don't exist. If checker reads W as 0 outside its "
     r"range this is numerically equal; a student claim referencing W[c,0] is still wrong in my "
     r"view -> incorrect (debatable)"),
    (73, "1.1.c.iii", 1, "incorrect",
     r"\frac{\partial \hat{y}_{j}}{\partial x_{c,l}} = W_{c,\lfloor l/j \rfloor}",
     r"seed-style floor guess"),
    (74, "1.1.c.iii", 1, "incorrect",
     r"\frac{\partial f_W(x)}{\partial x} \in \mathbb{R}^{5 \times 7}",
     r"shape of x only"),
    (75, "1.1.c.iii", 1, "incorrect",
     r"\frac{\partial \hat{y}_{j}}{\partial x_{c,l}} = \begin{cases} W_{c,l-2j+2} & \text{if } "
     r"2j-1 \le l \le 2j+1 \\ 1 & \text{otherwise} \end{cases}",
     r"1 instead of 0 outside window"),
    (76, "1.1.c.iii", 1, "incorrect",
     r"\frac{\partial \hat{y}_{j}}{\partial x_{c,l}} = \begin{cases} W_{1,l-2j+2} & \text{if } "
     r"2j-1 \le l \le 2j+1 \\ 0 & \text{otherwise} \end{cases}",
     r"channel index dropped: W_{1,k} means W[1,1,k]? ambiguous; with rank-2 subscript on rank-3 W "
     r"-> W[1,1,k] for every c -> incorrect"),
    (77, "1.1.c.iv", 1, "correct",
     r"\frac{\partial \ell}{\partial W} \in \mathbb{R}^{1 \times 5 \times 3}",
     r"gradient layout"),
    (78, "1.1.c.iv", 1, "correct",
     r"\frac{\partial \ell}{\partial W} \in \mathbb{R}^{3 \times 5 \times 1}",
     r"numerator layout (DESIGN accepts either)"),
    (79, "1.1.c.iv", 1, "correct",
     r"\frac{\partial \ell}{\partial W[1,c,k]} = \sum_{j=1}^{3} \frac{\partial \ell}{\partial "
     r"f_W(x)}[1,j] \, x[c,2j+k-2]",
     ""),
    (80, "1.1.c.iv", 1, "correct",
     r"\frac{\partial l}{\partial W_{c,k}} = \sum_{j=1}^{3} \frac{\partial l}{\partial "
     r"\hat{y}_{j}} x_{c,2j+k-2}",
     r"l and \hat y_j"),
    (81, "1.1.c.iv", 1, "correct",
     r"\frac{\partial L}{\partial W_{1,c,k}} = \sum_{i=1}^{3} \frac{\partial L}{\partial y_{1,i}} "
     r"\cdot X_{c,2i+k-2}",
     r"L loss, y alias, X"),
    (82, "1.1.c.iv", 0, "correct",
     r"\frac{\partial \ell}{\partial W[0,c,k]} = \sum_{j=0}^{2} \frac{\partial \ell}{\partial "
     r"f_W(x)}[0,j] \, x[c,2j+k]",
     r"0-based"),
    (83, "1.1.c.iv", 1, "correct",
     r"\frac{\partial \ell}{\partial W_{c,k}} = \sum_{j=1}^{3} \frac{\partial \ell}{\partial "
     r"f_W(x)_{j}} x_{c,2j-2+k}",
     r"subscript on f_W(x) inside denominator"),
    (84, "1.1.c.iv", 1, "correct",
     r"\frac{\partial \ell}{\partial W_{c,k}} = \sum_{j=1}^{3} \frac{\partial \ell}{\partial "
     r"\hat{y}_{j}} \frac{\partial \hat{y}_{j}}{\partial W_{c,k}}",
     r"chain rule with the Jacobian of (ii) as a symbol; mathematically correct"),
    (85, "1.1.c.iv", 1, "incorrect",
     r"\frac{\partial \ell}{\partial W} \in \mathbb{R}^{1 \times 3}",
     r"shape of output"),
    (86, "1.1.c.iv", 1, "incorrect",
     r"\frac{\partial \ell}{\partial W} \in \mathbb{R}^{1 \times 3 \times 1 \times 5 \times 3}",
     r"shape of Jacobian, not gradient"),
    (87, "1.1.c.iv", 1, "incorrect",
     r"\frac{\partial \ell}{\partial W_{c,k}} = \frac{\partial \ell}{\partial \hat{y}_{j}} "
     r"x_{c,2j+k-2}",
     r"missing sum over j (j free)"),
    (88, "1.1.c.iv", 1, "incorrect",
     r"\frac{\partial \ell}{\partial W_{c,k}} = \sum_{j=1}^{3} \frac{\partial \ell}{\partial "
     r"\hat{y}_{j}} x_{c,2j+k-1}",
     r"off by one"),
    (89, "1.1.c.iv", 1, "incorrect",
     r"\frac{\partial \ell}{\partial W_{c,k}} = \sum_{j=1}^{3} \frac{\partial \ell}{\partial "
     r"\hat{y}_{j}} x_{c,j+2k-2}",
     r"stride on tap"),
    (90, "1.1.c.iv", 1, "incorrect",
     r"\frac{\partial \ell}{\partial W_{c,k}} = \sum_{c=1}^{5} \sum_{j=1}^{3} \frac{\partial "
     r"\ell}{\partial \hat{y}_{j}} x_{c,2j+k-2}",
     r"summed over channels too (c shadowed)"),
    (91, "1.1.c.iv", 1, "incorrect",
     r"\frac{\partial \ell}{\partial W_{c,k}} = \sum_{j=1}^{3} \frac{\partial \ell}{\partial "
     r"\hat{y}_{j}} W_{c,k}",
     r"W instead of x"),
    (92, "1.2.1.b", 1, "correct",
     r"c[t] \in R^m",
     ""),
    (93, "1.2.1.b", 1, "correct",
     r"\mathbb{R}^{m}",
     ""),
    (94, "1.2.1.b", 1, "correct",
     r"c[t] \in \mathbb{R}^{m \times 1}",
     r"column vector"),
    (95, "1.2.1.b", 1, "correct",
     r"c[t] \in \mathbb{R}^{1 \times m}",
     r"singleton dropped -> m (DESIGN)"),
    (96, "1.2.1.b", 1, "correct",
     r"c \in \mathbb{R}^{m}",
     r"c alias"),
    (97, "1.2.1.b", 1, "correct",
     r"m",
     r"bare dimension"),
    (98, "1.2.1.b", 1, "correct",
     r"c[t] = \sigma\left(W_c x[t] + W_h h[t-1]\right) \in \mathbb{R}^{m}",
     r"formula and shape"),
    (99, "1.2.1.b", 1, "incorrect",
     r"c[t] \in \mathbb{R}^{n}",
     r"input size"),
    (100, "1.2.1.b", 1, "incorrect",
     r"c[t] \in \mathbb{R}^{m \times n}",
     ""),
    (101, "1.2.1.b", 1, "incorrect",
     r"c[t] \in R^{n \times 1}",
     ""),
    (102, "1.2.1.b", 1, "incorrect",
     r"\mathbb{R}^{m \times m}",
     ""),
    (103, "1.2.1.b", 1, "incorrect",
     r"c[t] \in \mathbb{R}^{1}",
     r"scalar gate"),
    (104, "1.2.1.b", 1, "incorrect",
     r"c[t] \in \mathbb{R}^{n+m}",
     ""),
    (105, "1.2.1.b", 1, "incorrect",
     r"c[t] = \sigma(W_c x[t] + W_h h[t-1]) \odot h[t-1]",
     r"wrong definition"),
    (106, "1.2.1.c", 1, "correct",
     r"\frac{\partial \ell}{\partial W_x} \in \mathbb{R}^{m \times n}",
     r"gradient layout"),
    (107, "1.2.1.c", 1, "correct",
     r"\frac{\partial l}{\partial W_x} \in R^{n \times m}",
     r"numerator layout"),
    (108, "1.2.1.c", 1, "correct",
     r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} \left(\frac{\partial \ell}{\partial "
     r"h[t]} \odot (1 - c[t])\right) x[t]^\top",
     ""),
    (109, "1.2.1.c", 1, "correct",
     r"\frac{\partial l}{\partial W_x} = \sum_{t=1}^{K} \text{diag}(1-c[t]) \frac{\partial "
     r"l}{\partial h[t]} x[t]^T",
     r"diag form"),
    (110, "1.2.1.c", 1, "correct",
     r"\frac{\partial \ell}{\partial (W_x)_{ij}} = \sum_{t=1}^{K} \frac{\partial \ell}{\partial "
     r"h[t]_i} (1 - c[t]_i) x[t]_j",
     r"index form"),
    (111, "1.2.1.c", 1, "correct",
     r"\frac{\partial L}{\partial W_x} = \sum_{s=1}^{K} \left((1-c[s]) \circ \delta[s]\right) "
     r"x[s]^T",
     r"other time letter s, \circ, L"),
    (112, "1.2.1.c", 1, "correct",
     r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} \operatorname{diag}(1-c[t]) \, "
     r"\delta[t] \, x[t]^{\top}",
     r"operatorname diag"),
    (113, "1.2.1.c", 1, "correct",
     r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} \left(\frac{\partial \ell}{\partial "
     r"h[t]} \odot (1 - \sigma(W_c x[t] + W_h h[t-1]))\right) x[t]^T",
     r"sigma written out"),
    (114, "1.2.1.c", 1, "correct",
     r"\frac{\partial h[t]_i}{\partial (W_x)_{jk}} = \begin{cases} (1 - c[t]_i) x[t]_k & \text{if "
     r"} i = j \\ 0 & \text{otherwise} \end{cases}",
     r"immediate Jacobian (seed)"),
    (115, "1.2.1.c", 1, "incorrect",
     r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} \delta[t] x[t]^T",
     r"missing (1-c)"),
    (116, "1.2.1.c", 1, "incorrect",
     r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} (\delta[t] \odot c[t] \odot (1 - c[t])) "
     r"x[t]^T",
     r"spurious sigma'"),
    (117, "1.2.1.c", 1, "incorrect",
     r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} \left(\delta[t] \odot (1-c[t])\right) "
     r"h[t-1]^T",
     r"h[t-1] instead of x[t]"),
    (118, "1.2.1.c", 1, "incorrect",
     r"\frac{\partial \ell}{\partial W_x} \in \mathbb{R}^{m \times m \times n}",
     r"that's dh/dWx"),
    (119, "1.2.1.c", 1, "incorrect",
     r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} \left(\delta[t] \odot (1-c[t])\right) "
     r"x[t-1]^T",
     r"x[t-1]"),
    (120, "1.2.1.c", 1, "incorrect",
     r"\frac{\partial \ell}{\partial (W_x)_{ij}} = \sum_{t=1}^{K} \delta[t]_i (1 - c[t]_i) x[t]_i",
     r"x index i instead of j (free j unbound / wrong)"),
    (121, "1.2.1.c", 1, "incorrect",
     r"\frac{\partial \ell}{\partial W_x} = \prod_{t=1}^{K} \left(\delta[t] \odot (1-c[t])\right) "
     r"x[t]^T",
     r"product instead of sum"),
    (122, "1.2.2.b", 1, "correct",
     r"a[t] \in R^3",
     ""),
    (123, "1.2.2.b", 1, "correct",
     r"\mathbb{R}^{3}",
     ""),
    (124, "1.2.2.b", 1, "correct",
     r"a[t] \in \mathbb{R}^{3 \times 1}",
     ""),
    (125, "1.2.2.b", 1, "correct",
     r"a[t] \in \mathbb{R}^{1 \times 3}",
     r"singleton dropped"),
    (126, "1.2.2.b", 1, "correct",
     r"3",
     ""),
    (127, "1.2.2.b", 1, "correct",
     r"a \in \mathbb{R}^{2+1}",
     r"k+1 with k=2"),
    (128, "1.2.2.b", 1, "correct",
     r"a[t] = \text{softargmax}([w_0[t], w_1[t], w_2[t]]) \in \mathbb{R}^{3}",
     ""),
    (129, "1.2.2.b", 1, "incorrect",
     r"a[t] \in \mathbb{R}^{n}",
     ""),
    (130, "1.2.2.b", 1, "incorrect",
     r"a[t] \in \mathbb{R}^{3 \times n}",
     ""),
    (131, "1.2.2.b", 1, "incorrect",
     r"a[t] \in \mathbb{R}^{n \times n}",
     ""),
    (132, "1.2.2.b", 1, "incorrect",
     r"a[t] \in \mathbb{R}^{2}",
     r"forgot x slot"),
    (133, "1.2.2.b", 1, "incorrect",
     r"a[t] \in \mathbb{R}^{3n}",
     ""),
    (134, "1.2.2.b", 1, "incorrect",
     r"a[t] \in \mathbb{R}^{1}",
     r"scalar"),
    (135, "1.2.2.b", 1, "incorrect",
     r"\mathbb{R}^{n \times 3}",
     ""),
    (136, "1.2.2.c", 1, "correct",
     r"q_0[t], q_1[t], \ldots, q_k[t] = Q_0 x[t], Q_1 h[t-1], \ldots, Q_k h[t-k] \\ k_0[t], "
     r"k_1[t], \ldots, k_k[t] = K_0 x[t], K_1 h[t-1], \ldots, K_k h[t-k] \\ v_0[t], v_1[t], "
     r"\ldots, v_k[t] = V_0 x[t], V_1 h[t-1], \ldots, V_k h[t-k] \\ w_i[t] = q_i[t]^T k_i[t] \\ "
     r"a[t] = \text{softargmax}([w_0[t], w_1[t], \ldots, w_k[t]]) \\ h[t] = \sum_{i=0}^{k} a_i[t] "
     r"v_i[t]",
     r"homework style with \\ separators and \ldots"),
    (137, "1.2.2.c", 1, "correct",
     r"\begin{aligned} q_0[t] &= Q_0 x[t], & q_i[t] &= Q_i h[t-i] \\ k_0[t] &= K_0 x[t], & k_i[t] "
     r"&= K_i h[t-i] \\ v_0[t] &= V_0 x[t], & v_i[t] &= V_i h[t-i] \\ w_i[t] &= q_i[t]^\top k_i[t] "
     r"\\ a[t] &= \operatorname{softargmax}([w_0[t], \dots, w_k[t]]) \\ h[t] &= \sum_{i=0}^{k} "
     r"a_i[t] v_i[t] \end{aligned}",
     r"aligned environment"),
    (138, "1.2.2.c", 1, "correct",
     r"q_0[t] = Q_0 x[t], \quad k_0[t] = K_0 x[t], \quad v_0[t] = V_0 x[t], \quad q_j[t] = Q_j "
     r"h[t-j], \quad k_j[t] = K_j h[t-j], \quad v_j[t] = V_j h[t-j] \text{ for } j = 1, \dots, k, "
     r"\quad w_j[t] = q_j[t]^T k_j[t], \quad a[t] = \mathrm{softargmax}([w_0[t], \dots, w_k[t]]), "
     r"\quad h[t] = \sum_{j=0}^{k} a_j[t] v_j[t]",
     r"letter j, 'for j = 1..k'"),
    (139, "1.2.2.c", 1, "correct",
     r"q_0[t] = Q_0 x[t],\ q_i[t] = Q_i h[t-i],\ k_0[t] = K_0 x[t],\ k_i[t] = K_i h[t-i],\ v_0[t] "
     r"= V_0 x[t],\ v_i[t] = V_i h[t-i],\ w_i[t] = k_i[t]^T q_i[t],\ a[t] = "
     r"\text{softmax}([w_0[t], \dots, w_k[t]]),\ h[t] = \sum_{i=0}^{k} a_i[t] \cdot v_i[t]",
     r"k^T q symmetric dot, softmax name"),
    (140, "1.2.2.c", 1, "correct",
     r"q_0[t] = Q_0 x[t],\ q_i[t] = Q_i h[t-i],\ k_0[t] = K_0 x[t],\ k_i[t] = K_i h[t-i],\ v_0[t] "
     r"= V_0 x[t],\ v_i[t] = V_i h[t-i],\ w_i[t] = q_i[t]^T k_i[t],\ a_i[t] = "
     r"\frac{\exp(w_i[t])}{\sum_{j=0}^{k} \exp(w_j[t])},\ h[t] = \sum_{i=0}^{k} a_i[t] v_i[t]",
     r"softmax written out"),
    (141, "1.2.2.c", 1, "incorrect",
     r"q_0[t] = Q_0 x[t],\ q_i[t] = Q_i h[t-i],\ k_0[t] = K_0 x[t],\ k_i[t] = K_i h[t-i],\ v_0[t] "
     r"= V_0 x[t],\ v_i[t] = V_i h[t-i],\ w_i[t] = q_i[t]^T k_i[t],\ a[t] = "
     r"\mathrm{softargmax}([w_0[t], \dots, w_k[t]]),\ h[t] = \sum_{i=0}^{k} a_i[t] Q_i h[t-i]",
     r"uses queries as values (and for i=0 h[t])"),
    (142, "1.2.2.c", 1, "incorrect",
     r"q_0[t] = Q_0 x[t],\ q_i[t] = Q_i h[t-i],\ k_0[t] = K_0 x[t],\ k_i[t] = K_i h[t-i],\ v_0[t] "
     r"= V_0 x[t],\ v_i[t] = V_i h[t-i],\ w_i[t] = q_i[t]^T k_i[t],\ a[t] = "
     r"\mathrm{softargmax}([w_0[t], \dots, w_k[t]]),\ h[t] = \sum_{i=0}^{k-1} a_i[t] v_i[t]",
     r"sum stops at k-1"),
    (143, "1.2.2.c", 1, "incorrect",
     r"q_0[t] = Q_0 x[t],\ q_i[t] = Q_i h[t-i+1],\ k_0[t] = K_0 x[t],\ k_i[t] = K_i h[t-i+1],\ "
     r"v_0[t] = V_0 x[t],\ v_i[t] = V_i h[t-i+1],\ w_i[t] = q_i[t]^T k_i[t],\ a[t] = "
     r"\mathrm{softargmax}([w_0[t], \dots, w_k[t]]),\ h[t] = \sum_{i=0}^{k} a_i[t] v_i[t]",
     r"h[t-i+1]: slot 1 reads h[t] (circular)"),
    (144, "1.2.2.c", 1, "incorrect",
     r"q_0[t] = Q_0 x[t],\ q_i[t] = Q_i h[t-i],\ k_0[t] = K_0 x[t],\ k_i[t] = K_i h[t-i],\ v_0[t] "
     r"= V_0 x[t],\ v_i[t] = V_i h[t-i],\ w_i[t] = q_i[t]^T k_i[t],\ a[t] = "
     r"\mathrm{softargmax}([w_1[t], \dots, w_k[t]]),\ h[t] = \sum_{i=1}^{k} a_i[t] v_i[t]",
     r"drops the x slot"),
    (145, "1.2.2.c", 1, "incorrect",
     r"q_i[t] = Q_i h[t-i],\ k_i[t] = K_i h[t-i],\ v_i[t] = V_i h[t-i],\ w_i[t] = q_i[t]^T "
     r"k_i[t],\ a[t] = \mathrm{softargmax}([w_0[t], \dots, w_k[t]]),\ h[t] = \sum_{i=0}^{k} a_i[t] "
     r"v_i[t]",
     r"slot 0 reads h[t] not x[t]"),
    (146, "1.2.2.c", 1, "incorrect",
     r"q_0[t] = Q_0 x[t],\ q_i[t] = Q_i h[t-i],\ k_0[t] = K_0 x[t],\ k_i[t] = K_i h[t-i],\ v_0[t] "
     r"= V_0 x[t],\ v_i[t] = V_i h[t-i],\ w_i[t] = q_i[t]^T k_i[t],\ a[t] = "
     r"\mathrm{softargmax}([w_0[t], \dots, w_k[t]]),\ h[t] = \sum_{i=0}^{k} w_i[t] v_i[t]",
     r"raw scores instead of softargmax weights"),
    (147, "1.2.2.c", 1, "incorrect",
     r"q_0[t] = Q_0 x[t],\ q_i[t] = Q_i h[t-i],\ k_0[t] = K_0 x[t],\ k_i[t] = K_i h[t-i],\ v_0[t] "
     r"= V_0 x[t],\ v_i[t] = V_i h[t-i],\ w_i[t] = q_i[t]^T q_i[t],\ a[t] = "
     r"\mathrm{softargmax}([w_0[t], \dots, w_k[t]]),\ h[t] = \sum_{i=0}^{k} a_i[t] v_i[t]",
     r"q^T q score"),
    (148, "1.2.2.c", 1, "incorrect",
     r"q_0[t] = Q_0 x[t],\ q_i[t] = Q_i h[t-i],\ k_0[t] = K_0 x[t],\ k_i[t] = K_i h[t-i],\ v_0[t] "
     r"= V_0 x[t],\ v_i[t] = V_i h[t-i],\ w_i[t] = q_i[t]^T k_i[t],\ a[t] = "
     r"\mathrm{softargmax}([w_0[t], \dots, w_k[t]]),\ h[t] = \sigma\left(\sum_{i=0}^{k} a_i[t] "
     r"v_i[t]\right)",
     r"extra sigmoid"),
    (149, "1.2.2.d", 1, "correct",
     r"q_0[t] = Q_0 x[t],\ k_0[t] = K_0 x[t],\ v_0[t] = V_0 x[t],\ q_i[t] = Q_h h[t-i],\ k_i[t] = "
     r"K_h h[t-i],\ v_i[t] = V_h h[t-i] \text{ for } i = 1, \dots, t-1,\ w_i[t] = q_i[t]^\top "
     r"k_i[t],\ a[t] = \operatorname{softargmax}([w_0[t], w_1[t], \dots, w_{t-1}[t]]),\ h[t] = "
     r"\sum_{i=0}^{t-1} a_i[t] v_i[t]",
     r"shared Q_h, window t-1"),
    (150, "1.2.2.d", 1, "correct",
     r"q_0[t], q_1[t], \dots, q_{t-1}[t] = Q_0 x[t], Q_1 h[t-1], \dots, Q_1 h[1] \\ k_0[t], "
     r"k_1[t], \dots, k_{t-1}[t] = K_0 x[t], K_1 h[t-1], \dots, K_1 h[1] \\ v_0[t], v_1[t], \dots, "
     r"v_{t-1}[t] = V_0 x[t], V_1 h[t-1], \dots, V_1 h[1] \\ w_i[t] = q_i[t]^T k_i[t] \\ a[t] = "
     r"\text{softargmax}([w_0[t], \dots, w_{t-1}[t]]) \\ h[t] = \sum_{i=0}^{t-1} a_i[t] v_i[t]",
     r"shared Q_1 spelled as Q_1 everywhere"),
    (151, "1.2.2.d", 1, "correct",
     r"\begin{aligned} q_0[t] &= Q_0 x[t], \quad q_i[t] = Q h[t-i] \\ k_0[t] &= K_0 x[t], \quad "
     r"k_i[t] = K h[t-i] \\ v_0[t] &= V_0 x[t], \quad v_i[t] = V h[t-i] \\ w_i[t] &= q_i[t]^T "
     r"k_i[t] \\ a[t] &= \mathrm{softargmax}([w_0[t], \dots, w_{t-1}[t]]) \\ h[t] &= "
     r"\sum_{i=0}^{t-1} a_i[t] v_i[t] \end{aligned}",
     r"unsubscripted shared Q, K, V"),
    (152, "1.2.2.d", 1, "correct",
     r"q_0[t] = Q_0 x[t],\ q_i[t] = Q_h h[t-i],\ k_0[t] = K_0 x[t],\ k_i[t] = K_h h[t-i],\ v_0[t] "
     r"= V_0 x[t],\ v_i[t] = V_h h[t-i],\ w_i[t] = q_i[t]^T k_i[t],\ a_i[t] = "
     r"\frac{e^{w_i[t]}}{\sum_{j=0}^{t-1} e^{w_j[t]}},\ h[t] = \sum_{i=0}^{t-1} a_i[t] v_i[t]",
     r"softmax written out with e^"),
    (153, "1.2.2.d", 1, "correct",
     r"q_0[t] = Q_0 x[t],\ q_i[t] = Q_h h[t-i],\ k_0[t] = K_0 x[t],\ k_i[t] = K_h h[t-i],\ v_0[t] "
     r"= V_0 x[t],\ v_i[t] = V_h h[t-i],\ w_i[t] = q_i[t]^T k_i[t],\ a[t] = "
     r"\mathrm{softargmax}([w_0[t], \dots, w_{t-1}[t]]),\ h[t] = \sum_{i=0}^{t-1} a_i[t] v_i[t]",
     r"tests' SYS_D but with ^T and \ sep"),
    (154, "1.2.2.d", 1, "correct",
     r"q_0[t] = Q_0 x[t],\ q_i[t] = Q_h h[i],\ k_0[t] = K_0 x[t],\ k_i[t] = K_h h[i],\ v_0[t] = "
     r"V_0 x[t],\ v_i[t] = V_h h[i],\ w_i[t] = q_i[t]^T k_i[t],\ a[t] = "
     r"\mathrm{softargmax}([w_0[t], \dots, w_{t-1}[t]]),\ h[t] = \sum_{i=0}^{t-1} a_i[t] v_i[t]",
     r"slot i reads absolute h[i], i=1..t-1 (a permutation of the states; softmax+sum are "
     r"permutation invariant)"),
    (155, "1.2.2.d", 1, "incorrect",
     r"q_0[t] = Q_0 x[t],\ q_i[t] = Q_i h[t-i],\ k_0[t] = K_0 x[t],\ k_i[t] = K_i h[t-i],\ v_0[t] "
     r"= V_0 x[t],\ v_i[t] = V_i h[t-i],\ w_i[t] = q_i[t]^T k_i[t],\ a[t] = "
     r"\mathrm{softargmax}([w_0[t], \dots, w_{t-1}[t]]),\ h[t] = \sum_{i=0}^{t-1} a_i[t] v_i[t]",
     r"no weight sharing (params grow with t)"),
    (156, "1.2.2.d", 1, "incorrect",
     r"q_0[t] = Q_0 x[t],\ q_i[t] = Q_h h[t-i],\ k_0[t] = K_0 x[t],\ k_i[t] = K_h h[t-i],\ v_0[t] "
     r"= V_0 x[t],\ v_i[t] = V_h h[t-i],\ w_i[t] = q_i[t]^T k_i[t],\ a[t] = "
     r"\mathrm{softargmax}([w_0[t], \dots, w_t[t]]),\ h[t] = \sum_{i=0}^{t} a_i[t] v_i[t]",
     r"attends to h[0] too: an extra zero slot changes the softmax"),
    (157, "1.2.2.d", 1, "incorrect",
     r"q_0[t] = Q_0 x[t],\ q_i[t] = Q_h h[t-i],\ k_0[t] = K_0 x[t],\ k_i[t] = K_h h[t-i],\ v_0[t] "
     r"= V_0 x[t],\ v_i[t] = V_h h[t-i],\ w_i[t] = q_i[t]^T k_i[t],\ a[t] = "
     r"\mathrm{softargmax}([w_0[t], \dots, w_{t-2}[t]]),\ h[t] = \sum_{i=0}^{t-2} a_i[t] v_i[t]",
     r"drops h[1]"),
    (158, "1.2.2.d", 1, "incorrect",
     r"q_0[t] = Q_0 x[t],\ q_i[t] = Q_h h[t-i],\ k_0[t] = K_0 x[t],\ k_i[t] = K_h h[t-i],\ v_0[t] "
     r"= V_0 x[t],\ v_i[t] = V_h h[t-i],\ w_i[t] = q_i[t]^T k_i[t],\ a[t] = "
     r"\mathrm{softargmax}([w_0[t], \dots, w_2[t]]),\ h[t] = \sum_{i=0}^{2} a_i[t] v_i[t]",
     r"window fixed at 2 (that's AttentionRNN(2) shared)"),
    (159, "1.2.2.d", 1, "incorrect",
     r"q_0[t] = Q_0 x[t],\ q_i[t] = Q_h h[t-i],\ k_0[t] = K_0 x[t],\ k_i[t] = K_h h[t-i],\ v_0[t] "
     r"= V_0 x[t],\ v_i[t] = V_h h[t-i],\ w_i[t] = q_i[t]^T k_i[t],\ a[t] = "
     r"\mathrm{softargmax}([w_0[t], \dots, w_{t-1}[t]]),\ h[t] = \sum_{i=1}^{t-1} a_i[t] v_i[t]",
     r"x value dropped from output sum"),
    (160, "1.2.2.d", 1, "incorrect",
     r"q_0[t] = Q_0 x[t],\ q_i[t] = Q_h h[t-i],\ k_0[t] = K_0 x[t],\ k_i[t] = K_h h[t-i],\ v_0[t] "
     r"= V_0 x[t],\ v_i[t] = V_h h[t-i],\ w_i[t] = q_i[t]^T k_i[t],\ a[t] = "
     r"\mathrm{softargmax}([w_0[t], \dots, w_{t-1}[t]]),\ h[t] = \sum_{i=0}^{t-1} a_i[t] k_i[t]",
     r"keys as values"),
    (161, "1.2.2.d", 1, "incorrect",
     r"q_0[t] = Q_0 x[t],\ q_i[t] = Q_h h[t-i],\ k_0[t] = K_0 x[t],\ k_i[t] = K_h h[t-i],\ v_0[t] "
     r"= V_0 x[t],\ v_i[t] = V_h h[t-i],\ w_i[t] = q_i[t]^T k_0[t],\ a[t] = "
     r"\mathrm{softargmax}([w_0[t], \dots, w_{t-1}[t]]),\ h[t] = \sum_{i=0}^{t-1} a_i[t] v_i[t]",
     r"score against k_0 only (a different network)"),
    (162, "1.2.2.e", 1, "correct",
     r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1 + a_1[t] \left(v_1[t] - h[t]\right) "
     r"h[t-1]^\top \left(Q_1^\top K_1 + K_1^\top Q_1\right)",
     r"expanded q,k"),
    (163, "1.2.2.e", 1, "correct",
     r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1 + \sum_{i=0}^{2} a_i[t] (\delta_{i1} - "
     r"a_1[t]) v_i[t] \left(k_1[t]^T Q_1 + q_1[t]^T K_1\right)",
     r"softmax jacobian via kronecker delta"),
    (164, "1.2.2.e", 1, "correct",
     r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1 + a_1[t](1-a_1[t]) v_1[t] (k_1[t]^T Q_1 "
     r"+ q_1[t]^T K_1) - a_1[t] a_0[t] v_0[t] (k_1[t]^T Q_1 + q_1[t]^T K_1) - a_1[t] a_2[t] v_2[t] "
     r"(k_1[t]^T Q_1 + q_1[t]^T K_1)",
     r"written out per slot"),
    (165, "1.2.2.e", 1, "correct",
     r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] \cdot V_1 + a_1[t] \cdot \left(v_1[t] - "
     r"\sum_{i=0}^{2} a_i[t] v_i[t]\right) \left(Q_1^T k_1[t] + K_1^T q_1[t]\right)^T",
     r"h[t] expanded; column then transposed"),
    (166, "1.2.2.e", 1, "correct",
     r"\frac{\partial h[t]_j}{\partial h[t-1]_l} = a_1[t] (V_1)_{jl} + a_1[t] (v_1[t]_j - h[t]_j) "
     r"\sum_{r=1}^{n} \left(q_1[t]_r (K_1)_{rl} + k_1[t]_r (Q_1)_{rl}\right)",
     r"index form"),
    (167, "1.2.2.e", 1, "correct",
     r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1 + a_1[t] (v_1[t] - h[t]) (h[t-1]^T Q_1^T "
     r"K_1 + h[t-1]^T K_1^T Q_1)",
     ""),
    (168, "1.2.2.e", 1, "correct",
     r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t]\left(V_1 + (v_1[t] - h[t]) \, (k_1[t]^\top "
     r"Q_1 + q_1[t]^\top K_1)\right)",
     r"factored a_1"),
    (169, "1.2.2.e", 1, "incorrect",
     r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1",
     r"ignores score dependence"),
    (170, "1.2.2.e", 1, "incorrect",
     r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1 + a_1[t] (v_1[t] - h[t]) k_1[t]^T Q_1",
     r"only one of the two product-rule terms"),
    (171, "1.2.2.e", 1, "incorrect",
     r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1 + a_1[t] (h[t] - v_1[t]) (k_1[t]^T Q_1 + "
     r"q_1[t]^T K_1)",
     r"sign flipped"),
    (172, "1.2.2.e", 1, "incorrect",
     r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1 + 2 a_1[t] (v_1[t] - h[t]) h[t-1]^T "
     r"Q_1^T K_1",
     r"assumes Q_1^T K_1 symmetric"),
    (173, "1.2.2.e", 1, "incorrect",
     r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1 + a_1[t] (1 - a_1[t]) v_1[t] (k_1[t]^T "
     r"Q_1 + q_1[t]^T K_1)",
     r"only diagonal of softmax jacobian"),
    (174, "1.2.2.e", 1, "layout",
     r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1^T + a_1[t] (K_1^T q_1[t] + Q_1^T k_1[t]) "
     r"(v_1[t] - h[t])^T",
     r"exact transpose of the true Jacobian (denominator layout)"),
    (175, "1.2.2.e", 1, "incorrect",
     r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1 + a_1[t] (v_1[t] - h[t]) (k_1[t]^T K_1 + "
     r"q_1[t]^T Q_1)",
     r"Q/K swapped in the score gradient"),
    (176, "1.2.2.e", 1, "incorrect",
     r"\frac{\partial h[t]}{\partial h[t-1]} = V_1 + (v_1[t] - h[t]) (k_1[t]^T Q_1 + q_1[t]^T K_1)",
     r"missing a_1 factor"),
    (177, "1.2.2.f", 1, "correct",
     r"\frac{\partial \ell}{\partial h[T]} = \sum_{t=T}^{L} \frac{\partial \ell}{\partial h[t]} "
     r"\frac{\partial h[t]}{\partial h[T]}",
     r"numerator layout row-vector form"),
    (178, "1.2.2.f", 1, "correct",
     r"\frac{\partial \ell}{\partial h[T]} = \sum_{t=T}^{L} \left(\frac{\partial h[t]}{\partial "
     r"h[T]}\right)^{T} \frac{\partial \ell}{\partial h[t]}",
     r"column form with ^T"),
    (179, "1.2.2.f", 1, "correct",
     r"\frac{\partial \ell}{\partial h[T]_j} = \sum_{t=T}^{L} \sum_{i=1}^{n} \frac{\partial "
     r"\ell}{\partial h[t]_i} \frac{\partial h[t]_i}{\partial h[T]_j}",
     r"index form"),
    (180, "1.2.2.f", 1, "correct",
     r"\frac{\partial l}{\partial h[T]} = \sum_{t \geq T} \frac{\partial l}{\partial h[t]} "
     r"\frac{\partial h[t]}{\partial h[T]}",
     r"sum over t>=T, no upper limit"),
    (181, "1.2.2.f", 1, "correct",
     r"\frac{\partial L}{\partial h[T]} = \sum_{t=T}^{L} \left(\frac{\partial h[t]}{\partial "
     r"h[T]}\right)^\top \frac{\partial L}{\partial h[t]}",
     r"L as loss AND L as length -- clash; still a natural student write-up"),
    (182, "1.2.2.f", 1, "correct",
     r"\frac{\partial \ell}{\partial h[T]} = \frac{\partial \ell}{\partial h[T]} + "
     r"\sum_{t=T+1}^{L} \frac{\partial \ell}{\partial h[t]} \frac{\partial h[t]}{\partial h[T]}",
     r"direct term written as same symbol (direct partial) -- ambiguous"),
    (183, "1.2.2.f", 1, "correct",
     r"\frac{\partial \ell}{\partial h[T]} = \sum_{s=T}^{L} \frac{\partial \ell}{\partial h[s]} "
     r"\cdot \frac{\partial h[s]}{\partial h[T]}",
     r"other summation letter s"),
    (184, "1.2.2.f", 1, "incorrect",
     r"\frac{\partial \ell}{\partial h[T]} = \sum_{t=T+1}^{L} \frac{\partial \ell}{\partial h[t]} "
     r"\frac{\partial h[t]}{\partial h[T]}",
     r"missing direct term g[T]"),
    (185, "1.2.2.f", 1, "incorrect",
     r"\frac{\partial \ell}{\partial h[T]} = \sum_{t=T}^{T+k} \frac{\partial \ell}{\partial h[t]} "
     r"\frac{\partial h[t]}{\partial h[T]}",
     r"window to T+k with total Jacobians"),
    (186, "1.2.2.f", 1, "incorrect",
     r"\frac{\partial \ell}{\partial h[T]} = \sum_{t=T}^{L} \frac{\partial h[t]}{\partial h[T]} "
     r"\frac{\partial \ell}{\partial h[t]}",
     r"missing transpose with column gradients"),
    (187, "1.2.2.f", 1, "incorrect",
     r"\frac{\partial \ell}{\partial h[T]} = \frac{\partial \ell}{\partial h[L]} \frac{\partial "
     r"h[L]}{\partial h[T]}",
     r"only last step"),
    (188, "1.2.2.f", 1, "incorrect",
     r"\frac{\partial \ell}{\partial h[T]} = \frac{\partial \ell}{\partial h[T+1]} \frac{\partial "
     r"h[T+1]}{\partial h[T]}",
     r"only next step"),
    (189, "1.2.2.f", 1, "incorrect",
     r"\frac{\partial \ell}{\partial h[T]} = \prod_{t=T+1}^{L} \frac{\partial h[t]}{\partial h[T]}",
     r"product of Jacobians, no loss gradient"),
    (190, "1.2.2.f", 1, "incorrect",
     r"\frac{\partial \ell}{\partial h[T]} = \sum_{t=T}^{L} \frac{\partial \ell}{\partial h[t]}",
     r"no Jacobian"),
    (191, "1.1.c.iv", 1, "correct",
     r"\frac{\partial \ell}{\partial W[f, c, k]} = \sum_{i=1}^{3} \frac{\partial \ell}{\partial "
     r"f_W(x)}[f, i] x[c, k + 2 i - 2]",
     r"verbatim `symgrad show 1.1.c.iv`"),
    (192, "1.1.c.iv", 1, "correct",
     r"\frac{\partial \ell}{\partial x[c, l]} = \sum_{i=1}^{3} W[1, c, l - 2 i + 2] \frac{\partial "
     r"\ell}{\partial f_W(x)}[1, i] \left[1 \le l - 2 i + 2 \le 3\right]",
     r"verbatim dl/dx from `symgrad show 1.1.c.iv`"),
    (193, "1.1.c.iii", 1, "correct",
     r"\frac{\partial \hat{y}_{j}}{\partial x_{c,l}} = W_{c,l-2j+2} \left[1 \le l - 2j + 2 \le "
     r"3\right]",
     r"Iverson bracket with inequalities (the form symgrad prints)"),
    (194, "1.1.c.ii", 1, "correct",
     r"\frac{\partial f_W(x)[f,j]}{\partial W[g,c,k]} = \delta_{fg} x[c,2j+k-2]",
     r"filter delta without prime"),
    (195, "1.2.1.b", 1, "correct",
     r"R^m",
     r"seed: 'The dimension of c[t] is R^m'"),
    (196, "1.1.a", 1, "correct",
     r"R^{1 \times 5 \times 2}",
     ""),
    (197, "1.2.2.f", 1, "correct",
     r"\frac{\partial \ell}{\partial h[T]} = g[T] + \sum_{t=T+1}^{L} \left(\frac{\partial "
     r"h[t]}{\partial h[T]}\right)^{\top} g[t]",
     r"symgrad show 1.2.2.f, g[t] = direct partials"),
    (198, "1.2.2.f", 1, "correct",
     r"\frac{\partial \ell}{\partial h[T]_{j}} = \sum_{\substack{1 \leq r \leq n\\T \leq t \leq "
     r"L}} D[t, r, j] g[t, r]",
     r"verbatim symgrad show 1.2.2.f index form"),
    (199, "1.2.2.e", 1, "correct",
     r"\frac{\partial h_t}{\partial h_{t-1}} = a_1 V_1 + a_1 (v_1 - h_t) (k_1^T Q_1 + q_1^T K_1)",
     r"subscript-time notation, [t] dropped"),
    (200, "1.2.1.c", 1, "correct",
     r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} (\delta[t] \odot (1-c[t])) \otimes x[t]",
     r"outer product written \otimes"),
    (201, "1.2.1.c", 1, "correct",
     r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} \frac{\partial \ell}{\partial h[t]} "
     r"\frac{\partial h[t]}{\partial W_x}",
     r"chain rule left symbolic (seed style, with the sum)"),
    # round 2 (/tmp/redteam2_claims.json)
    (202, "1.1.a", 1, "correct",
     r"\text{dimension } 5 \times 2",
     r"5x2"),
    (203, "1.1.a", 1, "correct",
     r"\text{output dimension: } 1 \times 5 \times 2",
     r"1 filter x 5 x 2"),
    (204, "1.1.a", 1, "correct",
     r"f(x) \in \mathbb{R}^{5\,\times\,2}",
     r"thin-space noise"),
    (205, "1.1.a", 1, "correct",
     r"\left\lfloor \frac{21-4}{4} \right\rfloor + 1 \times \left\lfloor \frac{12-5}{4} "
     r"\right\rfloor + 1 = 5 \times 2",
     r"worked computation; final 5x2"),
    (206, "1.1.a", 1, "correct",
     r"y \in R^{5 \times 2}",
     r"plain R"),
    (207, "1.1.a", 1, "incorrect",
     r"\mathbb{R}^{6 \times 2}",
     r"ceil(21/4)=6 style error"),
    (208, "1.1.a", 1, "incorrect",
     r"\text{dimension } 18 \times 8",
     r"forgot stride: 21-4+1, 12-5+1"),
    (209, "1.1.a", 1, "incorrect",
     r"\mathbb{R}^{5 \times 3}",
     r"ceil(12/4)=3 error"),
    (210, "1.1.a", 1, "incorrect",
     r"f(x) \in \mathbb{R}^{4 \times 2}",
     r"floor(17/4)=4 without +1"),
    (211, "1.1.a", 1, "layout",
     r"\mathbb{R}^{2 \times 5}",
     r"axes swapped W x H: values right, order permuted (layout per conventions)"),
    (212, "1.1.a", 1, "incorrect",
     r"\mathbb{R}^{\frac{21-4}{4}+1 \times \frac{12-5}{4}+1}",
     r"no floor: 5.25 x 2.75"),
    (213, "1.1.b", 1, "correct",
     r"F \times \left\lceil \frac{H+2P-D(K-1)}{S} \right\rceil \times \left\lceil "
     r"\frac{W+2P-D(K-1)}{S} \right\rceil",
     r"ceil(a/S)=floor((a-1)/S)+1 for integer a>=1"),
    (214, "1.1.b", 1, "correct",
     r"\mathbb{R}^{F \times \left(\lfloor \tfrac{H + 2P - DK + D - 1}{S} \rfloor + 1\right) \times "
     r"\left(\lfloor \tfrac{W + 2P - DK + D - 1}{S} \rfloor + 1\right)}",
     r"expanded D(K-1)"),
    (215, "1.1.b", 1, "correct",
     r"F \times \left\lfloor \frac{H+2P-D(K-1)-1}{S} + 1 \right\rfloor \times \left\lfloor "
     r"\frac{W+2P-D(K-1)-1}{S} + 1 \right\rfloor",
     r"+1 inside floor is the same"),
    (216, "1.1.b", 1, "correct",
     r"\text{output: } F \times \left(\left\lfloor \frac{H + 2P - D\,(K-1) - 1}{S} \right\rfloor + "
     r"1\right) \times \left(\left\lfloor \frac{W + 2P - D\,(K-1) - 1}{S} \right\rfloor + 1\right)",
     r"words + thin spaces"),
    (217, "1.1.b", 1, "incorrect",
     r"F \times \left(\left\lfloor \frac{H + 2P - K}{S} \right\rfloor + 1\right) \times "
     r"\left(\left\lfloor \frac{W + 2P - K}{S} \right\rfloor + 1\right)",
     r"dilation forgotten"),
    (218, "1.1.b", 1, "incorrect",
     r"C \times \left(\left\lfloor \frac{H + 2P - D(K-1) - 1}{S} \right\rfloor + 1\right) \times "
     r"\left(\left\lfloor \frac{W + 2P - D(K-1) - 1}{S} \right\rfloor + 1\right)",
     r"C instead of F channels"),
    (219, "1.1.b", 1, "incorrect",
     r"F \times \left(\left\lfloor \frac{H + 2P - DK}{S} \right\rfloor + 1\right) \times "
     r"\left(\left\lfloor \frac{W + 2P - DK}{S} \right\rfloor + 1\right)",
     r"DK instead of D(K-1)+1"),
    (220, "1.1.b", 1, "incorrect",
     r"F \times C \times \left(\left\lfloor \frac{H + 2P - D(K-1) - 1}{S} \right\rfloor + 1\right) "
     r"\times \left(\left\lfloor \frac{W + 2P - D(K-1) - 1}{S} \right\rfloor + 1\right)",
     r"extra C axis (seed style)"),
    (221, "1.1.b", 1, "incorrect",
     r"F \times \left(\frac{H + 2P - D(K-1) - 1}{S} + 1\right) \times \left(\frac{W + 2P - D(K-1) "
     r"- 1}{S} + 1\right)",
     r"no floor"),
    (222, "1.1.b", 1, "incorrect",
     r"F \times \left(\left\lfloor \frac{H + 2P - D(K-1)}{S} \right\rfloor + 1\right) \times "
     r"\left(\left\lfloor \frac{W + 2P - D(K-1)}{S} \right\rfloor + 1\right)",
     r"missing -1 (off by one when S divides)"),
    (223, "1.1.b", 1, "incorrect",
     r"F \times \left(\left\lfloor \frac{H + P - D(K-1) - 1}{S} \right\rfloor + 1\right) \times "
     r"\left(\left\lfloor \frac{W + P - D(K-1) - 1}{S} \right\rfloor + 1\right)",
     r"P not 2P"),
    (224, "1.1.c.i", 1, "correct",
     r"f_W(x)[1, j] = \sum_{c=1}^{5} \sum_{m=0}^{2} W[1, c, m+1] \, x[c, 2j - 1 + m]",
     r"0-based tap sum inside 1-based claim"),
    (225, "1.1.c.i", 1, "correct",
     r"y_j = \sum_{c=1}^{5}\sum_{m=-1}^{1} W_{c,m+2}\, x_{c,2j+m}",
     r"centered -M..M form like the slides: taps at 2j-1..2j+1"),
    (226, "1.1.c.i", 0, "correct",
     r"f_W(x)[0, j] = \sum_{c=0}^{4} \sum_{m=0}^{2} W[0, c, m] \, x[c, 2j + m]",
     r"python indexing"),
    (227, "1.1.c.i", 1, "correct",
     r"\text{dimension } 1 \times 3, \quad f_W(x)[1, j] = \sum_{c=1}^{5}\sum_{k=1}^{3} "
     r"W[1,c,k]\,x[c,2j+k-2]",
     r"words + shape + element"),
    (228, "1.1.c.i", 1, "correct",
     r"s[j] = \sum_{c=1}^{5} \sum_{k=1}^{3} x[c, 2(j-1)+k] \, W[1,c,k]",
     r"s[n] notation"),
    (229, "1.1.c.i", 1, "incorrect",
     r"f_W(x)[1, j] = \sum_{c=1}^{5} \sum_{m=0}^{2} W[1, c, m] \, x[c, 2j - 1 + m]",
     r"0-based tap into 1-based W (W[1,c,0] undefined/shifted)"),
    (230, "1.1.c.i", 1, "incorrect",
     r"f_W(x)[1, j] = \sum_{c=1}^{5}\sum_{k=1}^{3} W[1,c,k]\,x[c,j+k-1]",
     r"forgot stride"),
    (231, "1.1.c.i", 1, "incorrect",
     r"f_W(x)[1, j] = \sum_{c=1}^{5}\sum_{k=1}^{3} W[1,c,k]\,x[c,2j+k]",
     r"off by two"),
    (232, "1.1.c.i", 1, "incorrect",
     r"f_W(x) \in \mathbb{R}^{5 \times 3}",
     r"channels kept (seed error)"),
    (233, "1.1.c.i", 1, "incorrect",
     r"(x * k)[j] = \sum_{c=1}^{5}\sum_{k=1}^{3} W[1,c,k]\,x[c,2j-k]",
     r"true convolution (flipped) instead of cross-correlation"),
    (234, "1.1.c.i", 0, "incorrect",
     r"f_W(x)[0, j] = \sum_{c=0}^{4} \sum_{m=0}^{2} W[0, c, m] \, x[c, j + m]",
     r"python indexing, stride forgotten"),
    (235, "1.1.c.ii", 1, "correct",
     r"\frac{\partial f_W(x)}{\partial W} \in \mathbb{R}^{3 \times 5 \times 3}, \quad "
     r"\frac{\partial f_W(x)[1,j]}{\partial W[1,c,k]} = x[c,\, 2j+k-2]",
     r"dropped singletons"),
    (236, "1.1.c.ii", 0, "correct",
     r"\frac{\partial y[0,j]}{\partial W[0,c,m]} = x[c, 2j+m]",
     r"python idx"),
    (237, "1.1.c.ii", 1, "correct",
     r"\frac{\partial f_W(x)}{\partial W} \in \mathbb{R}^{3 \times 15}",
     r"flattened adjacent axes in order"),
    (238, "1.1.c.ii", 1, "correct",
     r"\frac{\partial y_j}{\partial W_{c,m+1}} = x_{c,2j-1+m}",
     r"shifted tap variable on lhs"),
    (239, "1.1.c.ii", 1, "correct",
     r"\frac{\partial \hat{y}_{1,j}}{\partial W_{1,c,k}} = X_{c,\,2(j-1)+k}",
     r"X alias"),
    (240, "1.1.c.ii", 1, "incorrect",
     r"\frac{\partial f_W(x)}{\partial W} \in \mathbb{R}^{1 \times 5 \times 3}",
     r"shape of W, not Jacobian"),
    (241, "1.1.c.ii", 1, "correct",
     r"\frac{\partial f_W(x)}{\partial W} \in \mathbb{R}^{15 \times 3}",
     r"15x3 = (1*3*1*5) x 3: adjacent axes flattened in order (my first guess, layout, was wrong)"),
    (242, "1.1.c.ii", 1, "incorrect",
     r"\frac{\partial y_j}{\partial W_{c,k}} = x_{c,j+k-1}",
     r"forgot stride"),
    (243, "1.1.c.ii", 1, "incorrect",
     r"\frac{\partial y_j}{\partial W_{c,k}} = \sum_{c=1}^{5} x_{c,2j+k-2}",
     r"spurious sum over c"),
    (244, "1.1.c.ii", 0, "incorrect",
     r"\frac{\partial y[0,j]}{\partial W[0,c,m]} = x[c, 2j+m+1]",
     r"python idx off by one"),
    (245, "1.1.c.ii", 1, "incorrect",
     r"\frac{\partial y_j}{\partial W_{c,k}} = W_{c,k}",
     r"derivative wrt wrong thing"),
    (246, "1.1.c.iii", 1, "correct",
     r"\frac{\partial f_W(x)}{\partial x} \in \mathbb{R}^{3 \times 5 \times 7}",
     r"dropped singleton"),
    (247, "1.1.c.iii", 1, "correct",
     r"\frac{\partial y_j}{\partial x_{c,l}} = \sum_{k=1}^{3} W_{c,k}\,\delta_{l,\,2j+k-2}",
     r"Kronecker form"),
    (248, "1.1.c.iii", 0, "correct",
     r"\frac{\partial y[0,j]}{\partial x[c,l]} = \begin{cases} W[0,c,l-2j] & 2j \le l \le 2j+2 \\ "
     r"0 & \text{else} \end{cases}",
     r"python idx, cases without 'if'"),
    (249, "1.1.c.iii", 1, "correct",
     r"\frac{\partial y_j}{\partial x_{c,l}} = \begin{cases} W_{c,\,l-2j+2}, & \text{if } 2j-1 \le "
     r"l \le 2j+1 \\ 0, & \text{otherwise} \end{cases}",
     r"condition on l"),
    (250, "1.1.c.iii", 1, "correct",
     r"\frac{\partial f_W(x)}{\partial x} \in \mathbb{R}^{3 \times 35}",
     r"flattened x"),
    (251, "1.1.c.iii", 1, "layout",
     r"\frac{\partial f_W(x)}{\partial x} \in \mathbb{R}^{5 \times 3 \times 7}",
     r"seed's permuted axes"),
    (252, "1.1.c.iii", 1, "incorrect",
     r"\frac{\partial f_W(x)}{\partial x} \in \mathbb{R}^{3 \times 7}",
     r"channel axis lost"),
    (253, "1.1.c.iii", 1, "incorrect",
     r"\frac{\partial y_j}{\partial x_{c,l}} = \begin{cases} W_{c,\,l-2j+1} & \text{if } 2j-1 \le "
     r"l \le 2j+1 \\ 0 & \text{otherwise} \end{cases}",
     r"tap off by one"),
    (254, "1.1.c.iii", 1, "incorrect",
     r"\frac{\partial y_j}{\partial x_{c,l}} = \begin{cases} W_{c,\,l-j+1} & \text{if } j \le l "
     r"\le j+2 \\ 0 & \text{otherwise} \end{cases}",
     r"forgot stride"),
    (255, "1.1.c.iii", 1, "incorrect",
     r"\frac{\partial y_j}{\partial x_{c,l}} = W_{c,\,l-2j+2}",
     r"no zero outside window (W index out of range)"),
    (256, "1.1.c.iii", 0, "incorrect",
     r"\frac{\partial y[0,j]}{\partial x[c,l]} = \sum_{m=0}^{2} W[0,c,m]\,\delta_{l,2j+m+1}",
     r"python idx off by one"),
    (257, "1.1.c.iv", 1, "correct",
     r"\frac{\partial \ell}{\partial W} \in \mathbb{R}^{5 \times 3}",
     r"dropped singleton of 1x5x3"),
    (258, "1.1.c.iv", 0, "correct",
     r"\frac{\partial \ell}{\partial W[0,c,m]} = \sum_{j=0}^{2} \frac{\partial \ell}{\partial "
     r"y[0,j]} \, x[c, 2j+m]",
     r"python"),
    (259, "1.1.c.iv", 1, "correct",
     r"\frac{\partial \ell}{\partial W_{c,k}} = \sum_{j=1}^{3} \frac{\partial \ell}{\partial "
     r"f_W(x)_j}\, \frac{\partial f_W(x)_j}{\partial W_{c,k}} = \sum_{j=1}^{3} \frac{\partial "
     r"\ell}{\partial f_W(x)_j}\, x_{c,2j+k-2}",
     r"chain of equalities"),
    (260, "1.1.c.iv", 1, "correct",
     r"\frac{\partial \ell}{\partial W_{c,m+1}} = \sum_{j=1}^{3} \frac{\partial \ell}{\partial "
     r"y_j} \, x_{c,2j-1+m}",
     r"0-based tap variable"),
    (261, "1.1.c.iv", 1, "correct",
     r"\frac{\partial \ell}{\partial W_{1,c,k}} = \sum_{j=1}^{3} x_{c,\,2j+k-2}\;\frac{\partial "
     r"\ell}{\partial \hat{y}_{1,j}}",
     r"factor order + \;"),
    (262, "1.1.c.iv", 1, "incorrect",
     r"\frac{\partial \ell}{\partial W} \in \mathbb{R}^{1 \times 3}",
     r"shape of output"),
    (263, "1.1.c.iv", 1, "incorrect",
     r"\frac{\partial \ell}{\partial W_{c,k}} = \sum_{j=1}^{3} \frac{\partial \ell}{\partial "
     r"y_j}\, x_{c,j+k-1}",
     r"forgot stride"),
    (264, "1.1.c.iv", 1, "incorrect",
     r"\frac{\partial \ell}{\partial W_{c,k}} = \sum_{j=1}^{3} \frac{\partial \ell}{\partial "
     r"y_j}\, x_{c,2j+k-1}",
     r"off by one"),
    (265, "1.1.c.iv", 0, "incorrect",
     r"\frac{\partial \ell}{\partial W[0,c,m]} = \sum_{j=0}^{2} \frac{\partial \ell}{\partial "
     r"y[0,j]} \, x[c, 2j+m+1]",
     r"python off by one"),
    (266, "1.1.c.iv", 1, "incorrect",
     r"\frac{\partial \ell}{\partial W_{c,k}} = \frac{\partial \ell}{\partial y_k}\, x_{c,2k+k-2}",
     r"missing sum over j"),
    (267, "1.1.c.iv", 1, "incorrect",
     r"\frac{\partial \ell}{\partial W_{c,k}} = \sum_{j=1}^{3} \frac{\partial \ell}{\partial "
     r"y_j}\, W_{c,k}",
     r"W instead of x"),
    (268, "1.2.1.b", 1, "correct",
     r"\text{dimension } m",
     r"words"),
    (269, "1.2.1.b", 1, "correct",
     r"c[t] \in \mathbb{R}^{m \times 1}",
     r"column vector"),
    (270, "1.2.1.b", 1, "correct",
     r"c[t]\;\in\;R^{m}",
     r"spacing"),
    (271, "1.2.1.b", 1, "correct",
     r"\mathbb{R}^{1 \times m}",
     r"row vector: dropped singleton (debatable; convention says singleton dropping ok)"),
    (272, "1.2.1.b", 1, "correct",
     r"c[t] \in \left[0, 1\right]^{m}",
     r"range-of-sigmoid style; dimension m"),
    (273, "1.2.1.b", 1, "incorrect",
     r"c[t] \in \mathbb{R}^{n}",
     r"input size"),
    (274, "1.2.1.b", 1, "incorrect",
     r"c[t] \in \mathbb{R}^{m \times n}",
     r"matrix"),
    (275, "1.2.1.b", 1, "incorrect",
     r"\text{dimension } n \times 1",
     r"n"),
    (276, "1.2.1.b", 1, "incorrect",
     r"c[t] \in \mathbb{R}^{m \times m}",
     r"mxm"),
    (277, "1.2.1.b", 1, "incorrect",
     r"c[t] \in \mathbb{R}",
     r"scalar"),
    (278, "1.2.1.c", 1, "correct",
     r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} \text{diag}(\mathbf{1} - c[t]) \, "
     r"\frac{\partial \ell}{\partial h[t]} \, x[t]^{\top}",
     r"diag with explicit ones vector"),
    (279, "1.2.1.c", 1, "correct",
     r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} \left[ \frac{\partial \ell}{\partial "
     r"h[t]} \odot \left(1 - \sigma(W_c x[t] + W_h h[t-1])\right) \right] x[t]'",
     r"prime transpose, sigma expanded"),
    (280, "1.2.1.c", 1, "correct",
     r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} x[t] \left(\frac{\partial "
     r"\ell}{\partial h[t]} \odot (1 - c[t])\right)^{T}",
     r"numerator layout n x m (checker accepts either)"),
    (281, "1.2.1.c", 1, "correct",
     r"\frac{\partial h[t]}{\partial h[t-1]} = \mathrm{diag}(c[t]) + "
     r"\mathrm{diag}\left(\sigma'(W_c x[t] + W_h h[t-1]) \odot (h[t-1] - W_x x[t])\right) W_h",
     r"gated Jacobian with sigma'"),
    (282, "1.2.1.c", 1, "correct",
     r"\frac{\partial h[t]}{\partial h[t-1]} = \text{diag}(c[t]) + \text{diag}\left(c[t] \odot (1 "
     r"- c[t]) \odot (h[t-1] - W_x x[t])\right) W_h",
     r"gated Jacobian"),
    (283, "1.2.1.c", 1, "incorrect",
     r"\frac{\partial \ell}{\partial W_x} = \left(\frac{\partial \ell}{\partial h[K]} \odot (1 - "
     r"c[K])\right) x[K]^{\top}",
     r"missing sum over t"),
    (284, "1.2.1.c", 1, "incorrect",
     r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} \frac{\partial \ell}{\partial h[t]} \, "
     r"x[t]^{\top}",
     r"missing (1 - c)"),
    (285, "1.2.1.c", 1, "incorrect",
     r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} \left(\frac{\partial \ell}{\partial "
     r"h[t]} \odot (1 - \sigma(W_c x[t] + W_h h[t]))\right) x[t]^{\top}",
     r"h[t] where h[t-1] meant"),
    (286, "1.2.1.c", 1, "incorrect",
     r"\frac{\partial h[t]}{\partial h[t-1]} = \mathrm{diag}(c[t]) + \mathrm{diag}\left(c[t] \odot "
     r"(1 - c[t]) \odot (h[t-1] - W_x x[t])\right) W_h^{\top}",
     r"transposed W_h"),
    (287, "1.2.1.c", 1, "incorrect",
     r"\frac{\partial h[t]}{\partial h[t-1]} = \mathrm{diag}(c[t]) + "
     r"\mathrm{diag}\left(\sigma'(W_c x[t] + W_h h[t-1]) \odot (W_x x[t] - h[t-1])\right) W_h",
     r"sign flipped"),
    (288, "1.2.1.c", 1, "incorrect",
     r"\frac{\partial h[t]}{\partial h[t-1]} = \mathrm{diag}(c[t])",
     r"gate dependence on h[t-1] ignored"),
    (289, "1.2.1.c", 1, "incorrect",
     r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} \text{diag}(c[t]) \, \frac{\partial "
     r"\ell}{\partial h[t]} \, x[t]^{\top}",
     r"c instead of 1-c"),
    (290, "1.2.2.b", 1, "correct",
     r"a[t] \in \mathbb{R}^{3 \times 1}",
     r"column"),
    (291, "1.2.2.b", 1, "correct",
     r"\text{dimension } 3",
     r"words"),
    (292, "1.2.2.b", 1, "correct",
     r"a[t]\in R^{3}",
     r"plain"),
    (293, "1.2.2.b", 1, "correct",
     r"a[t] \in \mathbb{R}^{1 \times 3}",
     r"row; singleton dropped"),
    (294, "1.2.2.b", 1, "correct",
     r"a[t] \in \Delta^{2} \subset \mathbb{R}^{3}",
     r"simplex remark, still R^3 (may be unparsed)"),
    (295, "1.2.2.b", 1, "incorrect",
     r"a[t] \in \mathbb{R}^{n}",
     r"n"),
    (296, "1.2.2.b", 1, "incorrect",
     r"a[t] \in \mathbb{R}^{3 \times n}",
     r"3xn"),
    (297, "1.2.2.b", 1, "incorrect",
     r"a[t] \in \mathbb{R}^{2}",
     r"forgot x slot"),
    (298, "1.2.2.b", 1, "incorrect",
     r"a[t] \in \mathbb{R}^{n \times n}",
     r"nxn"),
    (299, "1.2.2.b", 1, "incorrect",
     r"\text{dimension } 1",
     r"scalar"),
    (300, "1.2.2.c", 1, "correct",
     r"q_0[t] = Q_0 x[t], \; k_0[t] = K_0 x[t], \; v_0[t] = V_0 x[t], \; q_i[t] = Q_i h[t-i], \; "
     r"k_i[t] = K_i h[t-i], \; v_i[t] = V_i h[t-i] \; (1 \le i \le k), \; w_i[t] = q_i[t]^{\top} "
     r"k_i[t], \; a[t] = \text{softargmax}\left(\left[w_0[t], w_1[t], \ldots, "
     r"w_k[t]\right]\right), \; h[t] = \sum_{i=0}^{k} a_i[t]\, v_i[t]",
     r"semicolon-spaced system"),
    (301, "1.2.2.c", 1, "correct",
     r"q_0[t] = Q_0 x[t], \; k_0[t] = K_0 x[t], \; v_0[t] = V_0 x[t], \; q_i[t] = Q_i h[t-i], \; "
     r"k_i[t] = K_i h[t-i], \; v_i[t] = V_i h[t-i] \; (1 \le i \le k), \; w_i[t] = k_i[t]^{T} "
     r"q_i[t], \; a[t] = \text{softmax}(w_0[t], \ldots, w_k[t]), \; h[t] = \sum_{j=0}^{k} a_j[t]\, "
     r"v_j[t]",
     r"k^T q symmetric; softmax without brackets; j dummy"),
    (302, "1.2.2.c", 1, "correct",
     r"q_0[t] = Q_0 x[t], \; k_0[t] = K_0 x[t], \; v_0[t] = V_0 x[t], \; q_i[t] = Q_i h[t-i], \; "
     r"k_i[t] = K_i h[t-i], \; v_i[t] = V_i h[t-i] \; (1 \le i \le k), \; w_i[t] = q_i[t] \cdot "
     r"k_i[t], \; a[t] = \text{softargmax}\left(\left[w_0[t], w_1[t], \ldots, "
     r"w_k[t]\right]\right), \; h[t] = \sum_{i=0}^{k} a_i[t]\, v_i[t]",
     r"dot product"),
    (303, "1.2.2.c", 1, "correct",
     r"q_0[t] = Q_0 x[t], \; k_0[t] = K_0 x[t], \; v_0[t] = V_0 x[t], \; q_i[t] = Q_i h[t-i], \; "
     r"k_i[t] = K_i h[t-i], \; v_i[t] = V_i h[t-i] \; (1 \le i \le k), \; w_i[t] = q_i[t]^{\top} "
     r"k_i[t], \; a_i[t] = \frac{e^{w_i[t]}}{\sum_{j=0}^{k} e^{w_j[t]}}, \; h[t] = a_0[t] v_0[t] + "
     r"a_1[t] v_1[t] + \cdots + a_k[t] v_k[t]",
     r"explicit softmax and ellipsis sum"),
    (304, "1.2.2.c", 1, "correct",
     r"\begin{aligned} q_0[t], q_1[t], \ldots, q_k[t] &= Q_0 x[t], Q_1 h[t-1], \ldots, Q_k h[t-k] "
     r"\\ k_0[t], \ldots, k_k[t] &= K_0 x[t], K_1 h[t-1], \ldots, K_k h[t-k] \\ v_0[t], \ldots, "
     r"v_k[t] &= V_0 x[t], V_1 h[t-1], \ldots, V_k h[t-k] \\ w_i[t] &= q_i[t]' k_i[t] \\ a[t] &= "
     r"\mathrm{softargmax}([w_0[t], \ldots, w_k[t]]) \\ h[t] &= \sum_{i=0}^{k} a_i[t] v_i[t] "
     r"\end{aligned}",
     r"slide copy with prime transpose"),
    (305, "1.2.2.c", 1, "incorrect",
     r"q_0[t] = Q_0 x[t], \; k_0[t] = K_0 x[t], \; v_0[t] = V_0 x[t], \; q_i[t] = Q_i h[t-i-1], \; "
     r"k_i[t] = K_i h[t-i-1], \; v_i[t] = V_i h[t-i-1] \; (1 \le i \le k), \; w_i[t] = "
     r"q_i[t]^{\top} k_i[t], \; a[t] = \text{softargmax}\left(\left[w_0[t], w_1[t], \ldots, "
     r"w_k[t]\right]\right), \; h[t] = \sum_{i=0}^{k} a_i[t]\, v_i[t]",
     r"off-by-one lag"),
    (306, "1.2.2.c", 1, "incorrect",
     r"q_0[t] = Q_0 x[t], \; k_0[t] = K_0 x[t], \; v_0[t] = V_0 x[t], \; q_i[t] = Q_i h[t-i], \; "
     r"k_i[t] = K_i h[t-i], \; v_i[t] = V_i h[t-i] \; (1 \le i \le k), \; w_i[t] = q_i[t] "
     r"k_i[t]^{\top}, \; a[t] = \text{softargmax}\left(\left[w_0[t], w_1[t], \ldots, "
     r"w_k[t]\right]\right), \; h[t] = \sum_{i=0}^{k} a_i[t]\, v_i[t]",
     r"outer product: w_i is a matrix"),
    (307, "1.2.2.c", 1, "incorrect",
     r"q_0[t] = Q_0 x[t], \; k_0[t] = K_0 x[t], \; v_0[t] = V_0 x[t], \; q_i[t] = Q_i h[t-i], \; "
     r"k_i[t] = K_i h[t-i], \; v_i[t] = V_i h[t-i] \; (1 \le i \le k), \; w_i[t] = q_i[t]^{\top} "
     r"k_i[t], \; a[t] = \text{softargmax}([w_0[t], \ldots, w_{k-1}[t]]), \; h[t] = "
     r"\sum_{i=0}^{k-1} a_i[t] v_i[t]",
     r"k slots instead of k+1"),
    (308, "1.2.2.c", 1, "incorrect",
     r"q_0[t] = Q_0 x[t], \; k_0[t] = K_0 x[t], \; v_0[t] = V_0 x[t], \; q_i[t] = Q_i h[t-i], \; "
     r"k_i[t] = K_i h[t-i], \; v_i[t] = V_i h[t-i] \; (1 \le i \le k), \; w_i[t] = q_i[t]^{\top} "
     r"k_i[t], \; a[t] = \text{softargmax}\left(\left[w_0[t], w_1[t], \ldots, "
     r"w_k[t]\right]\right), \; h[t] = \sum_{i=0}^{k} a_i[t]\, h[t-i]",
     r"h instead of v"),
    (309, "1.2.2.c", 1, "incorrect",
     r"q_0[t] = Q_0 x[t], \; k_0[t] = K_0 x[t], \; v_0[t] = V_0 x[t], \; q_i[t] = Q_i h[t-i], \; "
     r"k_i[t] = K_i h[t-i], \; v_i[t] = V_i h[t-i] \; (1 \le i \le k), \; w_i[t] = q_i[t]^{\top} "
     r"k_i[t], \; a[t] = \sigma([w_0[t], \ldots, w_k[t]]), \; h[t] = \sum_{i=0}^{k} a_i[t]\, "
     r"v_i[t]",
     r"sigmoid instead of softargmax"),
    (310, "1.2.2.c", 1, "incorrect",
     r"q_0[t] = Q_0 x[t], \; k_0[t] = K_0 x[t], \; v_0[t] = V_0 x[t], \; q_i[t] = Q_i h[t-k], \; "
     r"k_i[t] = K_i h[t-k], \; v_i[t] = V_i h[t-k] \; (1 \le i \le k), \; w_i[t] = q_i[t]^{\top} "
     r"k_i[t], \; a[t] = \text{softargmax}\left(\left[w_0[t], w_1[t], \ldots, "
     r"w_k[t]\right]\right), \; h[t] = \sum_{i=0}^{k} a_i[t]\, v_i[t]",
     r"every slot reads h[t-k]"),
    (311, "1.2.2.d", 1, "correct",
     r"q_0[t] = Q_0 x[t], \; k_0[t] = K_0 x[t], \; v_0[t] = V_0 x[t], \; q_i[t] = Q_h h[t-i], \; "
     r"k_i[t] = K_h h[t-i], \; v_i[t] = V_h h[t-i] \; (1 \le i \le t-1), \; w_i[t] = q_i[t]^{\top} "
     r"k_i[t], \; a[t] = \text{softargmax}([w_0[t], \ldots, w_{t-1}[t]]), \; h[t] = "
     r"\sum_{i=0}^{t-1} a_i[t] v_i[t]",
     r"shared Q_h"),
    (312, "1.2.2.d", 1, "correct",
     r"q_0[t] = Q_0 x[t], \; k_0[t] = K_0 x[t], \; v_0[t] = V_0 x[t], \; q_i[t] = Q_1 h[t-i], \; "
     r"k_i[t] = K_1 h[t-i], \; v_i[t] = V_1 h[t-i] \; (1 \le i \le t-1), \; w_i[t] = q_i[t]^{\top} "
     r"k_i[t], \; a[t] = \text{softargmax}([w_0[t], \ldots, w_{t-1}[t]]), \; h[t] = "
     r"\sum_{i=0}^{t-1} a_i[t] v_i[t]",
     r"shared as Q_1 (slides' style)"),
    (313, "1.2.2.d", 1, "correct",
     r"q_0[t] = Q_0 x[t], \; k_0[t] = K_0 x[t], \; v_0[t] = V_0 x[t], \; q_i[t] = Q_h h[t-i], \; "
     r"k_i[t] = K_h h[t-i], \; v_i[t] = V_h h[t-i] \; (i = 1, \ldots, t-1), \; w_i[t] = q_i[t] "
     r"\cdot k_i[t], \; a_i[t] = \frac{\exp(w_i[t])}{\sum_{j=0}^{t-1} \exp(w_j[t])}, \; h[t] = "
     r"\sum_{i=0}^{t-1} a_i[t]\, v_i[t]",
     r"explicit softmax"),
    (314, "1.2.2.d", 1, "correct",
     r"q_0[t] = Q_0 x[t], \; k_0[t] = K_0 x[t], \; v_0[t] = V_0 x[t], \; q_i[t] = Q h[t-i], \; "
     r"k_i[t] = K h[t-i], \; v_i[t] = V h[t-i] \; (1 \le i < t), \; w_i[t] = q_i[t]^{\top} k_i[t], "
     r"\; a[t] = \text{softargmax}([w_0[t], \ldots, w_{t-1}[t]]), \; h[t] = \sum_{i=0}^{t-1} "
     r"a_i[t] v_i[t]",
     r"unsubscripted shared"),
    (315, "1.2.2.d", 1, "correct",
     r"q_0[t] = Q_0 x[t], \; k_0[t] = K_0 x[t], \; v_0[t] = V_0 x[t], \; q_{t-s}[t] = Q_h h[s], \; "
     r"k_{t-s}[t] = K_h h[s], \; v_{t-s}[t] = V_h h[s] \; (1 \le s \le t-1), \; w_i[t] = "
     r"q_i[t]^{\top} k_i[t], \; a[t] = \text{softargmax}([w_0[t], \ldots, w_{t-1}[t]]), \; h[t] = "
     r"\sum_{i=0}^{t-1} a_i[t] v_i[t]",
     r"indexed by absolute time s"),
    (316, "1.2.2.d", 1, "incorrect",
     r"q_0[t] = Q_0 x[t], \; k_0[t] = K_0 x[t], \; v_0[t] = V_0 x[t], \; q_i[t] = Q_i h[t-i], \; "
     r"k_i[t] = K_i h[t-i], \; v_i[t] = V_i h[t-i] \; (1 \le i \le t-1), \; w_i[t] = q_i[t]^{\top} "
     r"k_i[t], \; a[t] = \text{softargmax}([w_0[t], \ldots, w_{t-1}[t]]), \; h[t] = "
     r"\sum_{i=0}^{t-1} a_i[t] v_i[t]",
     r"no weight sharing"),
    (317, "1.2.2.d", 1, "incorrect",
     r"q_0[t] = Q_0 x[t], \; k_0[t] = K_0 x[t], \; v_0[t] = V_0 x[t], \; q_i[t] = Q_h h[t-i], \; "
     r"k_i[t] = K_h h[t-i], \; v_i[t] = V_h h[t-i] \; (1 \le i \le t-1), \; w_i[t] = q_i[t]^{\top} "
     r"k_i[t], \; a[t] = \text{softargmax}([w_1[t], \ldots, w_{t-1}[t]]), \; h[t] = "
     r"\sum_{i=1}^{t-1} a_i[t] v_i[t]",
     r"x slot dropped"),
    (318, "1.2.2.d", 1, "incorrect",
     r"q_0[t] = Q_0 x[t], \; k_0[t] = K_0 x[t], \; v_0[t] = V_0 x[t], \; q_i[t] = Q_h h[t-i], \; "
     r"k_i[t] = K_h h[t-i], \; v_i[t] = V_h h[t-i] \; (1 \le i \le t-1), \; w_i[t] = q_i[t]^{\top} "
     r"k_i[t], \; a[t] = \text{softargmax}([w_0[t], \ldots, w_{t-1}[t]]), \; h[t] = "
     r"\sum_{i=0}^{t-1} w_i[t] v_i[t]",
     r"raw scores instead of a"),
    (319, "1.2.2.d", 1, "incorrect",
     r"q_0[t] = Q_0 x[t], \; k_0[t] = K_0 x[t], \; v_0[t] = V_0 x[t], \; q_i[t] = Q_h h[t-i], \; "
     r"k_i[t] = K_h h[t-i], \; v_i[t] = V_h h[t-i] \; (1 \le i \le t-1), \; w_i[t] = q_i[t]^{\top} "
     r"k_0[t], \; a[t] = \text{softargmax}([w_0[t], \ldots, w_{t-1}[t]]), \; h[t] = "
     r"\sum_{i=0}^{t-1} a_i[t] v_i[t]",
     r"keys of x only"),
    (320, "1.2.2.d", 1, "incorrect",
     r"q_0[t] = Q_0 x[t], \; k_0[t] = K_0 x[t], \; v_0[t] = V_0 x[t], \; q_i[t] = Q_h h[t-i], \; "
     r"k_i[t] = K_h h[t-i], \; v_i[t] = V_h h[t-i] \; (1 \le i \le t-1), \; w_i[t] = q_i[t]^{\top} "
     r"k_i[t], \; a[t] = \text{softargmax}([w_0[t], \ldots, w_{t-1}[t]]), \; h[t] = "
     r"\sum_{i=0}^{t-1} a_i[t] v_{t-i}[t]",
     r"values reversed"),
    (321, "1.2.2.e", 1, "correct",
     r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1 + \sum_{i=0}^{2} v_i[t] \, a_i[t] "
     r"(\delta_{i1} - a_1[t]) \, h[t-1]^{\top} (Q_1^{\top} K_1 + K_1^{\top} Q_1)",
     r"softmax derivative expanded with delta"),
    (322, "1.2.2.e", 1, "correct",
     r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1 + \left[ a_1[t](1 - a_1[t]) v_1[t] - "
     r"a_0[t] a_1[t] v_0[t] - a_2[t] a_1[t] v_2[t] \right] \left( q_1[t]^{T} K_1 + k_1[t]^{T} Q_1 "
     r"\right)",
     r"expanded softmax terms"),
    (323, "1.2.2.e", 1, "correct",
     r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] \, V_1 + a_1[t] \left(v_1[t] - "
     r"\sum_{j=0}^{2} a_j[t] v_j[t]\right) \left(K_1^{\top} Q_1 h[t-1] + Q_1^{\top} K_1 "
     r"h[t-1]\right)^{\top}",
     r"column then transpose"),
    (324, "1.2.2.e", 1, "correct",
     r"\frac{\partial h[t]_j}{\partial h[t-1]_l} = a_1[t] (V_1)_{jl} + \sum_{i=0}^{2} (v_i[t])_j "
     r"\, a_i[t] (\delta_{i1} - a_1[t]) \left( (Q_1^{\top} k_1[t])_l + (K_1^{\top} q_1[t])_l "
     r"\right)",
     r"index form with delta"),
    (325, "1.2.2.e", 1, "correct",
     r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1 + a_1[t] (v_1[t] - h[t]) (k_1[t]' Q_1 + "
     r"q_1[t]' K_1)",
     r"prime transposes"),
    (326, "1.2.2.e", 1, "incorrect",
     r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1 + a_1[t](1 - a_1[t])\, v_1[t] "
     r"\left(k_1[t]^{\top} Q_1 + q_1[t]^{\top} K_1\right)",
     r"missing cross terms of softmax derivative"),
    (327, "1.2.2.e", 1, "incorrect",
     r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1 + \sum_{i=0}^{2} v_i[t] \, a_i[t] "
     r"(\delta_{i1} - a_i[t]) \left(k_1[t]^{\top} Q_1 + q_1[t]^{\top} K_1\right)",
     r"a_i instead of a_1 in delta term"),
    (328, "1.2.2.e", 1, "incorrect",
     r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1 + a_1[t] (v_1[t] - h[t]) \, 2\, "
     r"k_1[t]^{\top} Q_1",
     r"assumed Q_1=K_1 symmetric"),
    (329, "1.2.2.e", 1, "incorrect",
     r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1 + a_1[t] (v_1[t] - h[t]) (k_1[t]^{\top} "
     r"K_1 + q_1[t]^{\top} Q_1)",
     r"Q/K swapped"),
    (330, "1.2.2.e", 1, "incorrect",
     r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1 + a_1[t] (v_1[t] - h[t-1]) "
     r"(k_1[t]^{\top} Q_1 + q_1[t]^{\top} K_1)",
     r"h[t-1] where h[t] meant"),
    (331, "1.2.2.e", 1, "incorrect",
     r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1 + a_2[t] V_2",
     r"h[t-2] does not depend on h[t-1]"),
    (332, "1.2.2.f", 1, "correct",
     r"\frac{\partial \ell}{\partial h[T]} = \sum_{t = T}^{L} \left( \frac{\partial h[t]}{\partial "
     r"h[T]} \right)^{\!\top} \frac{\partial \ell}{\partial h[t]}",
     r"\! noise; direct partials convention"),
    (333, "1.2.2.f", 1, "correct",
     r"\frac{\partial \ell}{\partial h[T]} = \frac{\partial \ell}{\partial h[T]} + \sum_{t > T} "
     r"\left(\frac{\partial h[t]}{\partial h[T]}\right)^{T} \frac{\partial \ell}{\partial h[t]}",
     r"direct + sum t>T, gradient layout"),
    (334, "1.2.2.f", 1, "correct",
     r"\frac{\partial \ell}{\partial h[T]_j} = \sum_{t=T}^{L} \sum_{r=1}^{n} \frac{\partial "
     r"h[t]_r}{\partial h[T]_j} \frac{\partial \ell}{\partial h[t]_r}",
     r"index form, factor order swapped"),
    (335, "1.2.2.f", 1, "correct",
     r"\frac{\partial \ell}{\partial h[T]} = \sum_{t=T}^{L} \frac{\partial \ell}{\partial h[t]} \, "
     r"\frac{\partial h[t]}{\partial h[T]} \quad \text{(row vectors)}",
     r"numerator layout row"),
    (336, "1.2.2.f", 1, "correct",
     r"\frac{\partial \ell}{\partial h[T]} = \sum_{s=T}^{L} \frac{\partial \ell}{\partial "
     r"h[s]}\frac{\partial h[s]}{\partial h[T]}",
     r"dummy s"),
    (337, "1.2.2.f", 1, "incorrect",
     r"\frac{\partial \ell}{\partial h[T]} = \sum_{t = T}^{T+k} \left( \frac{\partial "
     r"h[t]}{\partial h[T]} \right)^{\top} \frac{\partial \ell}{\partial h[t]}",
     r"truncated at T+k with total Jacobians and direct partials"),
    (338, "1.2.2.f", 1, "incorrect",
     r"\frac{\partial \ell}{\partial h[T]} = \prod_{t=T+1}^{L} \frac{\partial h[t]}{\partial "
     r"h[t-1]} \frac{\partial \ell}{\partial h[L]}",
     r"only last loss, ignoring attention skip"),
    (339, "1.2.2.f", 1, "incorrect",
     r"\frac{\partial \ell}{\partial h[T]} = \sum_{t=T+1}^{L} \left( \frac{\partial h[t]}{\partial "
     r"h[T]} \right)^{\top} \frac{\partial \ell}{\partial h[t]}",
     r"direct term at T missing"),
    (340, "1.2.2.f", 1, "correct",
     r"\frac{\partial \ell}{\partial h[T]} = \sum_{t=1}^{L} \left( \frac{\partial h[t]}{\partial "
     r"h[T]} \right)^{\top} \frac{\partial \ell}{\partial h[t]}",
     r"sum from 1: dh[t]/dh[T]=0 for t<T, I at t=T, so identical"),
    (341, "1.2.2.f", 1, "incorrect",
     r"\frac{\partial \ell}{\partial h[T]} = \sum_{t=T}^{L} \frac{\partial \ell}{\partial h[t]}",
     r"Jacobians dropped"),
]


# Round-2 claims the checker does not yet get right, with the reason (strict: a fix shows up).
KNOWN_MISSES = {
    302: "the verifier reads `u \\cdot v` of two vectors as a product, not a dot product",
    303: "the verifier cannot expand a sum written `a_0 v_0 + \\cdots + a_k v_k`",
    304: "tuple rows with `\\ldots` on both sides and different counts are not aligned",
    313: "the verifier reads `u \\cdot v` of two vectors as a product, not a dot product",
    315: "the verifier does not accept a family slot `t-s` on the left side",
    338: "dh[t]/dh[t-1] is not a declared quantity in 1.2.2.f",
}


@pytest.mark.parametrize("qid,base,expected,latex,why", [
    pytest.param(*c[1:], id=f"{c[0]}-{c[1]}", marks=[pytest.mark.xfail(
        reason=KNOWN_MISSES[c[0]], strict=True)] if c[0] in KNOWN_MISSES else [])
    for c in CLAIMS])
def test_claim(qid, base, expected, latex, why):
    v = sg.check(qid, latex, index_base=base)
    assert v.verdict == expected, f"{why}\n{v.format()}"
    assert v.explanation


def test_the_data_is_whole():
    assert len(CLAIMS) == 342 and [c[0] for c in CLAIMS] == list(range(342))
    assert {c[3] for c in CLAIMS} == {"correct", "incorrect", "layout", "unparsed"}
    assert len({c[1] for c in CLAIMS}) == 13
