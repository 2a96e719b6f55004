#!/usr/bin/env python3
"""Builds curriculum/financial-literacy-101.json, a finai-nexus/course-package (schema v1).

Every numeric quiz answer is computed below (and asserted), not typed in, so the
package can be regenerated after edits:  python3 scripts/build-curriculum.py [OUT]
"""
import json
import math
import sys
from pathlib import Path

DISCLAIMER = (
    "> **Educational content only.** This lesson is general education, not financial, "
    "investment, tax or legal advice. It does not take your personal circumstances into "
    "account, and laws, products, rates and limits differ between countries and change over "
    "time. Consider checking official sources or speaking with a qualified, independent "
    "professional before making financial decisions."
)

L_GOALS = """Money is a tool. Before you build a budget or choose an investment, it helps to decide what you actually want that tool to do for you. Clear goals turn vague wishes ("I should save more") into concrete decisions you can act on every month.

*A note on examples:* this course uses `$` as a generic currency symbol. The ideas work the same way in any currency.

## Why goals come first

Without goals, every spending decision is made in isolation, and it is easy for small choices to crowd out the things that matter most to you. With goals:

- you can tell whether a purchase moves you closer to, or further from, something you care about;
- saving feels purposeful rather than like a sacrifice;
- you can measure progress and adjust early if you fall behind.

## Short-, medium- and long-term goals

It is useful to sort goals by **time horizon**, meaning how long until you need the money.

- **Short-term (under about 1 year):** a starter emergency fund, a new phone, clearing a small credit card balance.
- **Medium-term (about 1 to 5 years):** a car, a deposit for a home, a course or qualification, a wedding.
- **Long-term (more than about 5 years):** retirement, a child's education, becoming financially independent.

Time horizon matters because it affects *where* the money should be kept. Money you need soon should not be exposed to large swings in value. Money you will not need for decades can usually ride out more ups and downs. You will see why in the investing module.

## Make goals SMART

A popular way to sharpen a goal is the **SMART** checklist:

1. **Specific:** what exactly are you saving or paying off?
2. **Measurable:** how much money is involved?
3. **Achievable:** is it realistic with your income and expenses?
4. **Relevant:** does it genuinely matter to you?
5. **Time-bound:** by when?

"Save more money" is not SMART. "Save $1,200 for a laptop within 12 months by setting aside $100 a month" is SMART, because it names the target, the amount, the deadline and the monthly action.

## Needs, wants and trade-offs

Every dollar can only be spent once. Choosing one thing means giving up the next-best alternative; economists call this the **opportunity cost**. Goals make trade-offs visible: the $60 a month spent on a subscription you rarely use is $720 a year that could have gone toward a goal.

This does not mean you should never spend on things you enjoy. A good plan includes wants, too. It simply means choosing on purpose rather than by default.

## Worked example: turning goals into monthly amounts

Sam has three goals and about **$300 a month** available for them after paying for essentials and everyday spending.

| Goal | Target | Deadline | Monthly amount needed |
|---|---|---|---|
| Starter emergency fund | $1,000 | 5 months | $1,000 ÷ 5 = $200 |
| Laptop | $1,200 | 12 months | $1,200 ÷ 12 = $100 |
| Holiday | $900 | 18 months | $900 ÷ 18 = $50 |

Funding all three at once would need $200 + $100 + $50 = **$350 a month**, which is $50 more than Sam has. Sam has to prioritise:

- **Months 1 to 5:** $200 to the emergency fund and $100 to the laptop (total $300).
- **From month 6:** the emergency fund is complete, so the $200 is freed up. Sam keeps $100 going to the laptop and starts the holiday fund. The full $900 now has to be saved over the remaining 13 months (months 6 to 18), which is about $900 ÷ 13 ≈ **$69.23 a month**, comfortably within budget.

By ordering the goals instead of abandoning one, Sam reaches all three on time.

## Write it down and review it

Goals that are written down and reviewed are more likely to be reached. A simple list with the target, deadline, monthly amount and current balance is enough. Review it every month or two, and whenever your life changes: a new job, a move, a new family member. Goals can and should change as you do.

## Key takeaways

- Goals give your money a purpose and make trade-offs easier to see.
- Sort goals by time horizon: short, medium and long term. Horizon affects where money should be kept.
- Use the SMART checklist to turn wishes into specific, measurable, time-bound plans.
- Divide each target by the months available to get a monthly amount, then prioritise if the total is more than you can afford.
- Review your goals regularly and adjust them as your circumstances change.
"""

L_BUDGET = """A **budget** is a plan for your money, made *before* you spend it. It is not a punishment or a list of things you are forbidden to buy. It is a way of making sure your income goes to the things that matter most to you, including your goals.

## Step 1: Know your take-home income

Start with the money that actually reaches your bank account. **Gross income** is what you earn before deductions. **Net** or **take-home income** is what is left after taxes and other deductions, such as social insurance or workplace pension contributions. Budget with take-home income, because that is the money you can actually spend.

If your income varies (for example from shift work, commission or self-employment), base your budget on a *low* month, not an average or a good one. Treat anything extra as a bonus for your goals.

## Step 2: Find out where your money goes

Track your spending for at least a month using bank statements, a spreadsheet, an app or a notebook. Group expenses into types:

- **Fixed expenses:** about the same every month, such as rent, loan repayments and subscriptions.
- **Variable expenses:** change month to month, such as groceries, fuel and eating out.
- **Irregular or annual expenses:** bills that arrive once or twice a year, such as insurance premiums, car servicing or gifts. Divide the yearly cost by 12 and set that amount aside each month in a **sinking fund**, so these bills never come as a surprise.

Small purchases add up. Spending $5 a day is about $150 a month, or $5 × 365 = **$1,825 a year**.

## Step 3: Choose a budgeting method

There is no single correct method. Pick one you will actually stick with.

- **50/30/20 guideline:** about 50% of take-home pay for **needs** (housing, food, utilities, transport, insurance, minimum debt payments), 30% for **wants** (entertainment, eating out, hobbies), and 20% for **savings and extra debt repayment**. It is a starting point, not a rule. In high-cost areas, needs often take more than 50%.
- **Zero-based budget:** give every dollar a job until income minus all planned spending, saving and debt payments equals **zero**. "Zero" does not mean you spend everything; savings are one of the jobs.
- **Envelope method:** divide money into cash or digital "envelopes" for each category. When an envelope is empty, spending in that category stops until next month.
- **Pay yourself first:** set up an automatic transfer to savings on payday, then live on what remains. This works well alongside any of the methods above.

## Worked example: Alex's monthly budget

Alex takes home **$3,000 a month**. The 50/30/20 guideline suggests $1,500 for needs, $900 for wants and $600 for savings. Here is Alex's real plan:

| Category | Items | Amount | Share |
|---|---|---|---|
| Needs | Rent $1,050, utilities and phone $180, groceries $350, transport $200, insurance $100, annual-bill sinking fund $20 | $1,900 | 63% |
| Wants | Eating out $200, hobbies $150, clothes $100, fun money $100, subscriptions $50 | $600 | 20% |
| Savings and debt | Emergency fund and goals | $500 | 17% |
| **Total** | | **$3,000** | 100% |

Alex's needs are above 50% because rent is high, which is common. Rather than give up, Alex trims wants to $600 so that savings stay at a meaningful $500. Every dollar has a job, so this is also a zero-based budget: $3,000 − $1,900 − $600 − $500 = $0. The $20 sinking fund covers a $240 yearly bill ($240 ÷ 12 = $20).

## Step 4: Review and adjust

A budget is a living document.

- Compare what you planned with what you actually spent at the end of each month.
- If a category is always over, either find savings or give it a more realistic amount, and take the difference from somewhere else.
- Include a small "miscellaneous" buffer for the unexpected little things.
- Revisit the whole budget when your income or circumstances change.

## Common pitfalls

- **Forgetting irregular expenses:** annual bills can wreck an otherwise good budget.
- **Being too strict:** a budget with no room for enjoyment tends to be abandoned. Plan some wants.
- **Not tracking small purchases:** coffee, snacks and app purchases are easy to overlook.
- **Giving up after one bad month:** adjust and carry on. Consistency matters more than perfection.

## Key takeaways

- Budget with your take-home (net) income, and use a low month if your income varies.
- Track spending and separate fixed, variable and irregular expenses. Use sinking funds for annual bills.
- 50/30/20 is a helpful guideline; zero-based, envelope and pay-yourself-first are other methods.
- Your budget should include savings for your goals as well as some spending on wants.
- Review monthly and adjust. A realistic budget you follow beats a perfect one you abandon.
"""

L_EMERGENCY = """Life is unpredictable. Cars break down, jobs end and health problems arise. An **emergency fund** is money set aside specifically for unexpected, essential costs, so that a surprise does not turn into a financial crisis.

## What an emergency fund is for

An emergency is something that is **unexpected**, **necessary** and **urgent**. Typical examples:

- losing your job or a sudden drop in income;
- an essential medical or dental bill;
- an urgent repair to the car you need for work, or to your home (a broken boiler or a leaking roof).

Things that are *not* emergencies include holidays, sales, concert tickets and known bills such as an annual insurance premium. Planned costs belong in a budget category or a **sinking fund**, not the emergency fund.

## Why it matters

Without savings, emergencies often end up on a credit card or a high-cost loan. The emergency then costs far more than its price tag because of the interest, and repayments squeeze future budgets. That is how a single bad month can turn into years of debt.

An emergency fund also brings **peace of mind** and **choices**: for example, the ability to leave an unsafe job or take time to find the right new one.

## How much is enough?

A widely used guideline is **3 to 6 months of essential expenses**. That means what you must pay to keep going (housing, food, utilities, transport, insurance and minimum debt payments), not your total income or your full lifestyle spending.

You may want to aim for the **higher end or beyond** if:

- your income is irregular, seasonal or self-employed;
- you are the only earner in your household, especially with dependants;
- you work in an industry with frequent layoffs;
- you have health conditions or an older car or home that may need repairs.

The **lower end** may be enough if your job is very secure and your household has two stable incomes.

If 3 to 6 months feels impossible right now, start with a **starter emergency fund**, such as one month of essentials or a round figure like $500 to $1,000. Even a small cushion prevents many small emergencies from becoming debt.

## Where to keep it

An emergency fund should be **safe** and **easy to reach (liquid)**.

- A separate savings account works well for many people. Keeping it apart from your everyday account reduces the temptation to dip into it.
- Many countries have deposit-protection schemes that protect bank deposits up to a limit. Check which rules apply where you live.
- Avoid keeping it in investments such as shares: their value can fall sharply exactly when you need the money, for example during a recession when job losses are also more common.
- Large amounts of cash at home can be lost or stolen and earn no interest.

An emergency fund will usually earn a modest return, and inflation slowly erodes its value. That is acceptable. Its job is to be **available**, not to grow quickly. Still, it is worth looking for a competitive interest rate.

## Worked example: Priya's emergency fund

Priya's essential expenses are **$2,000 a month**.

- 3-month target: 3 × $2,000 = **$6,000**
- 6-month target: 6 × $2,000 = **$12,000**

She decides to start with the 3-month target. If she saves **$250 a month**, it will take $6,000 ÷ $250 = **24 months**.

To speed things up, she adds a one-off $500 work bonus at the start. Now she needs ($6,000 − $500) ÷ $250 = **22 months**. Once she reaches $6,000 she can decide whether to keep building toward six months or redirect the $250 to other goals.

## Using and rebuilding your fund

Before using the fund, ask three questions: *Is it unexpected? Is it necessary? Is it urgent?* If the answer to all three is yes, use the fund. That is what it is for, and there is no need to feel guilty.

Afterwards, make rebuilding it a priority: temporarily redirect some "wants" spending or savings for other goals until it is back to your target.

## Key takeaways

- An emergency fund covers unexpected, necessary, urgent costs. Planned expenses belong in a budget or sinking fund.
- A common guideline is 3 to 6 months of essential expenses; aim higher if your income is less secure.
- Start with a small starter fund if the full amount feels out of reach.
- Keep it safe, accessible and separate, for example in a protected savings account, not in shares.
- Use it when a real emergency happens, then rebuild it.
"""

L_COMPOUND = """Compound interest is one of the most powerful ideas in personal finance. It can work for you when you save and against you when you borrow, and understanding it changes how you think about both.

## Simple interest versus compound interest

- **Simple interest** is paid only on the original amount (the **principal**).
- **Compound interest** is paid on the principal *plus* any interest already earned. You earn "interest on your interest".

With simple interest at 5% a year, $1,000 earns $50 every year, so after 10 years you have $1,000 + 10 × $50 = **$1,500**.

With compound interest, each year's interest is added to the balance, so the next year's interest is a little bigger:

| Year | Start balance | Interest at 5% | End balance |
|---|---|---|---|
| 1 | $1,000.00 | $50.00 | $1,050.00 |
| 2 | $1,050.00 | $52.50 | $1,102.50 |
| 3 | $1,102.50 | $55.13 | $1,157.63 |

## The compound interest formula

The future value of a single deposit is:

`A = P × (1 + r/n)^(n × t)`

- `A` is the amount at the end;
- `P` is the principal (starting amount);
- `r` is the annual interest rate as a decimal (5% = 0.05);
- `n` is the number of times interest is compounded per year (1 = annually, 12 = monthly);
- `t` is the number of years.

## Worked example: $1,000 at 5% for 10 years

With annual compounding, `n = 1`:

`A = 1,000 × (1.05)^10 = 1,000 × 1.628895 ≈ $1,628.89`

That is **$128.89 more** than simple interest. Keep going and the gap grows quickly:

- after 20 years: 1,000 × 1.05^20 ≈ **$2,653.30**;
- after 30 years: 1,000 × 1.05^30 ≈ **$4,321.94**.

The money more than quadruples in 30 years without a single extra deposit.

## How often interest compounds

More frequent compounding means slightly faster growth at the same stated rate. Take $5,000 at 6% a year for 5 years:

- compounded **annually**: 5,000 × 1.06^5 ≈ **$6,691.13**;
- compounded **monthly**: 5,000 × (1 + 0.06/12)^60 ≈ **$6,744.25**.

Because of this, banks often quote an **effective annual rate** (called APY or AER in some countries) that includes the effect of compounding. A 6% rate compounded monthly works out to an effective annual rate of about 6.17%. Compare effective rates when comparing accounts.

## The rule of 72

A quick mental shortcut: **years to double ≈ 72 ÷ annual interest rate (in %)**.

- At 6%: 72 ÷ 6 ≈ **12 years** (the exact answer is about 11.9).
- At 8%: 72 ÷ 8 ≈ **9 years**.
- At 3%: 72 ÷ 3 ≈ **24 years**.

The rule is an approximation that works best for rates between roughly 2% and 15%. It also works in reverse for costs: debt at 24% interest doubles in about 3 years if left unpaid.

## Time is the most powerful ingredient

Consider two savers who each put **$200 a month** into an account earning a steady 6% a year, compounded monthly, until age 65:

| Saver | Starts at | Total deposited | Balance at 65 (approx.) |
|---|---|---|---|
| Jordan | 25 | $96,000 | $398,298 |
| Casey | 35 | $72,000 | $200,903 |

Jordan deposits only $24,000 more than Casey but ends with almost **twice as much**, because Jordan's early deposits have ten extra years to compound. Starting early, even with small amounts, is often more powerful than saving larger amounts later.

Real investments do not earn a smooth, guaranteed 6% every year. Returns go up and down, and these figures are illustrations, not predictions. The principle still holds: the longer money compounds, the bigger the effect.

## Compounding can work against you

The same maths applies to debt. Unpaid interest on a credit card or loan is added to the balance, and then *that* interest is charged interest too. This is why high-interest debt can grow so fast, and why paying it off early is so valuable. You will explore this in the debt module.

## Key takeaways

- Compound interest earns interest on previous interest; simple interest does not.
- Future value of a single deposit: `A = P × (1 + r/n)^(n × t)`. For example, $1,000 at 5% for 10 years is about $1,628.89.
- More frequent compounding and higher rates both increase growth. Compare effective annual rates.
- Rule of 72: years to double ≈ 72 ÷ rate.
- Time is the biggest lever, so starting early matters. Compounding also makes unpaid debt grow.
"""

L_INFLATION = """A loaf of bread, a bus ticket or a month's rent almost always costs more today than it did twenty years ago. That general rise in prices over time is called **inflation**, and it quietly changes what your money is worth.

## What inflation is

**Inflation** is the rate at which the general level of prices for goods and services rises. When inflation is positive, each unit of currency buys a little less than before; its **purchasing power** falls.

Governments and statistics agencies usually measure inflation with a **consumer price index (CPI)**. This tracks the cost of a "basket" of typical purchases such as food, housing, transport, clothing and energy. Because it is an average, your **personal inflation rate** can be higher or lower depending on what you actually buy. For example, someone who spends a lot on fuel will feel rising fuel prices more.

## Why prices rise

Economists debate the details, but common causes include:

- **demand exceeding supply**, when people and businesses want to buy more than can be produced;
- **rising costs**, such as energy, raw materials or wages, which businesses pass on as higher prices;
- **growth in money and credit** in the economy.

Many central banks aim to keep inflation **low and stable**, often around 2% a year, mainly by raising or lowering interest rates. Falling prices across the economy (**deflation**) can also cause problems, because people and businesses may delay spending.

## Measuring the loss of purchasing power

To find what a future amount is worth in today's money, divide by the growth in prices:

`Value in today's money = Amount ÷ (1 + inflation rate)^years`

## Worked example: 10 years at 3% inflation

Suppose inflation averages **3% a year** for 10 years, compounding annually.

- A basket of goods that costs **$100** today will cost about 100 × 1.03^10 ≈ **$134.39**.
- **$1,000** kept in cash will still say $1,000, but it will buy only what about 1,000 ÷ 1.03^10 ≈ **$744.09** buys today. That is a loss of roughly a quarter of its purchasing power.

The rule of 72 works for inflation too: at 3% a year, prices roughly **double in about 24 years** (72 ÷ 3). The exact figure is about 23.4 years.

## Nominal versus real returns

- The **nominal return** is the percentage your money grows by in currency terms.
- The **real return** is the growth after allowing for inflation, which measures the change in what you can actually buy.

A quick **approximation** is: real return ≈ nominal return − inflation.

The **exact formula** is:

`Real return = (1 + nominal) ÷ (1 + inflation) − 1`

Examples:

- An investment earns **7%** while inflation is **3%**. Approximation: 7 − 3 = 4%. Exact: 1.07 ÷ 1.03 − 1 ≈ **3.88%**.
- A savings account pays **2%** while inflation is **4%**. Your balance grows, but the real return is 1.02 ÷ 1.04 − 1 ≈ **−1.92%**. You can buy *less* with it at the end of the year than at the start.

The approximation is close when rates are low, but the gap grows as rates get bigger.

## Inflation and your pay

The same idea applies to income. If your pay rises **3%** in a year when prices rise **5%**, your **real** pay has *fallen* by about 1.03 ÷ 1.05 − 1 ≈ **−1.90%**, even though the number on your payslip went up. This is why it is worth reviewing your budget, and your pay, when inflation is high.

## Living with inflation

You cannot control inflation, but you can plan for it:

- **Keep your emergency fund safe anyway.** Losing a little purchasing power is an acceptable price for having money available when you need it.
- **Think long term for long-term goals.** Over long periods, some assets, such as diversified shares, have historically grown faster than inflation, but with much bigger ups and downs and no guarantee. Some governments also issue **inflation-linked bonds**.
- **Update your budget** when prices rise, so your plan stays realistic.
- **Understand your debts.** With a fixed-rate loan, rising prices and wages make fixed repayments relatively easier over time. Variable-rate debt can become more expensive if central banks raise interest rates to fight inflation.
- **Compare real, not just nominal, figures** when judging savings rates, investment returns and pay rises.

## Key takeaways

- Inflation is the general rise in prices, which reduces the purchasing power of money.
- Value in today's money = amount ÷ (1 + inflation)^years. At 3% for 10 years, $1,000 buys only about $744.09 of today's goods.
- Real return = (1 + nominal) ÷ (1 + inflation) − 1. "Nominal minus inflation" is only an approximation.
- Money earning less than inflation is losing purchasing power, even if the balance grows.
- Plan for inflation in budgets, pay discussions and long-term goals, while keeping short-term money safe.
"""

L_DEBT = """Borrowing lets you use money now and pay for it later. Used carefully, it can help you buy a home, fund education or spread out an essential cost. Used carelessly, it can take a large share of your income for years. Understanding how debt works is the first step to controlling it.

## Key terms

- **Principal:** the amount you borrow.
- **Interest:** the price of borrowing, usually quoted as an annual rate.
- **APR (annual percentage rate):** a yearly measure of the cost of borrowing. In many countries it must include certain fees as well as interest, which makes offers easier to compare.
- **Term:** how long you have to repay.
- **Secured vs unsecured:** a secured loan (such as a mortgage or car loan) is backed by an asset the lender can take if you do not pay. Unsecured debt (such as most credit cards) is not, and usually has higher rates.
- **Fixed vs variable rate:** a fixed rate stays the same; a variable rate can change over time.

## Not all debt is equal

Debt used to buy something that lasts or builds long-term value, at a reasonable cost and an affordable size, such as a suitable mortgage or sensibly priced training, is very different from **high-cost debt** used for everyday spending. Examples of high-cost debt include credit card balances carried from month to month, payday loans and overdrafts. Even "good" debt can become harmful if the payments are too large for your budget.

## How credit card interest works

Many credit cards charge **no interest on purchases if you pay the full statement balance by the due date** (often called a grace period). Interest starts when you carry a balance.

A simple way to estimate monthly interest is to divide the APR by 12. At **18% APR**, the monthly rate is about 18 ÷ 12 = **1.5%**, so a **$2,400** balance costs about 2,400 × 0.015 = **$36** in interest in one month. Many issuers actually calculate interest daily, but the result is similar.

## The minimum-payment trap

Card statements show a **minimum payment**, often a small percentage of the balance. Paying only the minimum keeps your account in good standing, but it can take years to clear the debt.

**Worked example:** a **$2,000** balance at **18% APR** (1.5% a month), with no new spending. The figures below come from a month-by-month calculation and are approximate; real card terms vary.

| Repayment approach | Time to clear | Total interest paid |
|---|---|---|
| Minimum only: 3% of balance or $25, whichever is higher | about 103 months (over 8.5 years) | about $1,463 |
| Fixed $100 a month | 24 months | about $396 |
| Fixed $200 a month | 11 months | about $183 |

Paying a fixed $100 instead of the shrinking minimum saves over $1,000 in interest and about 6.5 years. With an even lower minimum, such as 2% of the balance, total interest can exceed the amount originally borrowed.

## Longer terms cost more

Lower monthly payments can be tempting, but spreading a loan over more years usually means paying more interest in total. Take a **$10,000** loan at **6% APR** repaid in equal monthly payments:

| Term | Monthly payment | Total interest |
|---|---|---|
| 3 years | $304.22 | $951.90 |
| 5 years | $193.33 | $1,599.68 |
| 10 years | $111.02 | $3,322.46 |

## Strategies for paying off debt

First, keep paying at least the **minimum on every debt** to avoid fees and damage to your credit record. Then put any extra money toward one target debt:

- **Debt avalanche:** target the debt with the **highest interest rate** first. This minimises total interest.
- **Debt snowball:** target the debt with the **smallest balance** first. Quick wins can boost motivation.

When the target debt is cleared, "roll" its payment into the next one, so the amount you pay grows like a snowball. Either method beats paying minimums only. Options such as **debt consolidation** or **balance transfers** can help, but check the fees, what happens when promotional rates end, and make sure you do not run the old balances back up.

## Warning signs and getting help

Be alert if you are:

- only ever making minimum payments;
- borrowing on one card to pay another;
- relying on credit for essentials such as food or rent each month;
- missing payments or avoiding opening statements.

If this sounds familiar, contact your lenders early, since many have hardship options. Many countries also have **free, non-profit debt advice services**. Be wary of anyone who charges high upfront fees or promises to make debts disappear.

## Key takeaways

- Understand the principal, APR, term, and whether a debt is secured and fixed or variable.
- Paying a card's full statement balance on time usually avoids interest on purchases.
- Minimum payments can stretch small debts over many years and cost more in interest than you borrowed.
- Longer loan terms mean lower payments but more total interest.
- Avalanche (highest rate first) minimises interest; snowball (smallest balance first) builds momentum. Seek free advice early if debt feels out of control.
"""

L_CREDIT = """When you apply to borrow money, rent a flat or sometimes even sign a phone contract, the other party may want to know how you have handled credit in the past. That is where **credit reports** and **credit scores** come in. The details differ a lot between countries, but the core ideas are widely shared.

## Credit reports

A **credit report** is a record of your borrowing history, kept by one or more **credit reporting agencies** (also called credit bureaus or credit reference agencies). It typically includes:

- your credit accounts (cards, loans, mortgages) with their limits and balances;
- whether you paid on time, and any missed payments, defaults or accounts sent to collections;
- recent applications for credit (**inquiries** or "searches");
- in some countries, certain public records, such as bankruptcies or court judgments.

In many countries you have a legal right to see your own report, often for free. Checking it regularly helps you spot mistakes and signs of identity fraud.

## Credit scores

A **credit score** is a number calculated from your credit report. It estimates **how likely you are to repay borrowed money as agreed**. Different countries, agencies and lenders use different scoring models and ranges, so there is no single universal score. A higher score generally means you are seen as lower risk, which can mean:

- a better chance of approval;
- lower interest rates and better terms;
- smaller deposits for some services.

Your income and savings are not usually part of the score itself, although lenders consider them separately when deciding whether you can afford a loan.

## What typically affects a score

Most scoring models look at similar factors:

1. **Payment history:** paying on time, every time, is usually the most important factor. Late or missed payments can hurt for years.
2. **Amounts owed and credit utilisation:** how much of your available credit you are using. A commonly quoted guideline is to keep utilisation below about 30%, and lower is generally better.
3. **Length of credit history:** older accounts show a longer track record.
4. **New credit:** several applications in a short time can lower a score slightly and temporarily. Checking your *own* report is a "soft" check and does not harm your score.
5. **Credit mix:** a blend of different types of credit that are well managed can help a little.

## Worked example: credit utilisation

Maya has two credit cards:

| Card | Limit | Balance | Utilisation |
|---|---|---|---|
| A | $3,000 | $900 | 30% |
| B | $2,000 | $300 | 15% |
| **Total** | **$5,000** | **$1,200** | **24%** |

Overall utilisation = total balances ÷ total limits = $1,200 ÷ $5,000 = **24%**.

Now suppose Maya pays off Card B completely, leaving only $900 on Card A. Her utilisation falls to $900 ÷ $5,000 = **18%**. If she then *closes* Card B, her total limit drops to $3,000 and utilisation jumps back to $900 ÷ $3,000 = **30%**. Closing an old card can also shorten the average age of her accounts. Closing a card is not always wrong (for example, if it has a high annual fee or tempts you to overspend), but it helps to understand the effect.

## Building credit from scratch

Having *no* credit history can make borrowing hard, too. Common ways to start, depending on what is available where you live:

- a **secured credit card** backed by a cash deposit, or a small **credit-builder loan**;
- being added as an **authorised user** on a responsible family member's card;
- in some countries, being on the **electoral register**, which helps lenders confirm your identity and address.

Whatever you use, keep balances low and pay in full and on time, ideally by automatic payment.

## Repairing damaged credit

- **Start paying on time now.** Recent behaviour matters most, and the impact of old negative items fades.
- **Reduce balances** to lower your utilisation.
- **Dispute errors.** If your report contains mistakes, contact the reporting agency. You generally have the right to have inaccurate information corrected.
- **Be patient.** Negative information usually stays on a report for several years (how long varies by country).
- **Beware of "credit repair" promises.** Nobody can legitimately remove *accurate* negative information just because you paid them.

## Key takeaways

- A credit report records your borrowing history; a credit score summarises it to estimate how likely you are to repay.
- Scoring models and ranges vary by country and lender, but payment history and utilisation usually matter most.
- Utilisation = total balances ÷ total limits. Lower is generally better, and closing cards can raise it.
- Checking your own report does not lower your score; doing so regularly helps catch errors and fraud.
- Build or rebuild credit with small, well-managed accounts and on-time payments, and avoid paid "quick fixes".
"""

L_INVESTING = """Saving and investing both mean setting money aside, but they do different jobs. This lesson explains what investing is, the main types of investment, and the basic ideas every beginner should understand before putting money at risk.

## Saving versus investing

- **Saving** means keeping money safe and easy to reach, usually in a bank savings account. It suits short-term goals and emergencies. The value does not fall, but it may grow slower than inflation.
- **Investing** means buying assets that you expect to grow in value or pay income over time, such as shares or bonds. Investing offers the *potential* for higher long-term growth, but the value can go **down** as well as up, and you may get back less than you put in.

## Before you invest

Many people find it sensible to have these foundations in place first:

1. **A working budget**, so you know what you can invest regularly.
2. **An emergency fund**, so you are not forced to sell investments at a bad time.
3. **High-interest debt under control.** Paying off a card charging 20% is like earning a guaranteed 20% return, which is far more than investments can reliably offer.
4. **A suitable time horizon.** Money needed within the next few years is usually better kept in safer places. A common rule of thumb for share-based investing is a horizon of at least five years.

## The main asset classes

- **Cash and cash-like investments** (savings accounts, money-market funds): low risk and low expected return.
- **Bonds** (also called fixed income): you lend money to a government or company. In return you usually receive regular interest payments (the **coupon**) and your money back at the end (**maturity**). Risks include the borrower failing to pay (**default**) and **interest-rate risk**: when market interest rates rise, existing bonds' prices tend to fall.
- **Shares** (also called stocks or equities): you own a small part of a company. Returns come from **dividends** (a share of profits, if paid) and changes in the share price. Over long periods, shares in many markets have historically delivered higher returns than bonds or cash, but with much larger and more frequent falls.
- **Other assets**, such as property or commodities, have their own risks and costs.

## Funds: investing in many things at once

Buying individual shares means picking companies and accepting the risk of any one of them doing badly. **Funds** pool money from many investors to buy a wide range of investments:

- **Mutual funds / unit trusts** are professionally managed pools of investments.
- **Index funds** aim to track a market index (a list of companies, such as the largest companies in a country) rather than trying to beat it. They are usually low-cost.
- **Exchange-traded funds (ETFs)** are funds that trade on a stock exchange like a share. Many ETFs are index funds.

**Actively managed** funds try to beat the market by picking investments, usually for higher fees. Research has repeatedly found that many active funds fail to beat comparable index funds after fees over long periods.

## Risk and return go together

In general, investments with **higher expected returns** come with **higher risk**: bigger swings in value and a greater chance of loss. There is no reliable way to get high returns with no risk. Anyone promising "guaranteed high returns" is showing a major warning sign of a scam.

## Worked example: why fees matter

You invest **$10,000** for **30 years**, with annual compounding.

- At a 7% annual return: 10,000 × 1.07^30 ≈ **$76,123**.
- If fees of 1% a year reduce the return to about 6%: 10,000 × 1.06^30 ≈ **$57,435**.

That 1% difference costs about **$18,688**, almost twice the original investment. Fees are one of the few things investors can control, so check a fund's ongoing charges before buying.

## Investing regularly: dollar-cost averaging

Investing a fixed amount at regular intervals is called **dollar-cost averaging** (or pound-cost averaging). Suppose you invest **$300** a month in a fund:

| Month | Price per unit | Units bought |
|---|---|---|
| 1 | $30 | 10 |
| 2 | $20 | 15 |
| 3 | $25 | 12 |

You invested $900 and bought 37 units, an average cost of $900 ÷ 37 ≈ **$24.32** per unit. That is slightly less than the average price of $25, because your fixed amount bought more units when the price was low. Dollar-cost averaging does not guarantee a profit, but it builds a habit and reduces the worry about picking the "right" moment.

## Behaviour matters

Markets rise and fall, sometimes sharply. Selling in a panic after a fall can turn a temporary drop into a permanent loss. Chasing whatever has recently gone up can mean buying high. A simple, diversified, low-cost plan that you stick with is hard to beat.

## Key takeaways

- Saving keeps money safe for the short term; investing accepts ups and downs for potential long-term growth.
- Build a budget and emergency fund, and tackle high-interest debt, before investing.
- Bonds are loans to a borrower, shares are part-ownership of a company, and funds pool many investments.
- Higher expected return means higher risk. "Guaranteed high returns" is a red flag.
- Fees compound too: 1% a year can cost a large share of long-term growth.
"""

L_DIVERSIFY = """"Don't put all your eggs in one basket" is old advice, and it is at the heart of sensible investing. This lesson explains what investment risk really is, how **diversification** reduces some of it, and how to think about the mix of investments you hold.

## What is investment risk?

Risk is the uncertainty about what will happen to your money. It shows up in several forms:

- **Volatility:** how much and how often prices move up and down.
- **Permanent loss:** an investment that never recovers, such as shares in a company that goes bankrupt.
- **Inflation risk:** money growing more slowly than prices.
- **Liquidity risk:** not being able to sell quickly without taking a loss.
- **Concentration risk:** having too much money in one company, industry or country.

## Two kinds of market risk

1. **Company-specific (unsystematic) risk:** problems that hit one company or industry, such as a failed product, a scandal or a new competitor. This risk **can be greatly reduced** by owning many different investments.
2. **Market-wide (systematic) risk:** events that affect almost all investments at once, such as a recession or a sharp change in interest rates. Diversification **cannot remove** this risk. It is managed through your overall mix of assets and your time horizon.

## How diversification works

Diversification means spreading money across many investments that do not all move in the same way at the same time. You can diversify across:

- **companies** (many instead of one);
- **industries** (technology, healthcare, energy, consumer goods...);
- **countries and regions**;
- **asset classes** (shares, bonds, cash).

A single broad index fund can hold hundreds or thousands of companies, giving wide diversification in one purchase. Diversification does **not** guarantee a profit or prevent all losses. In a broad market fall most investments drop together, but it makes it far less likely that a single failure wrecks your plans.

## Worked example: one basket or many?

Two investors each have **$10,000**.

- **Investor A** puts it all into one company. If that company fails, A could lose close to the full $10,000.
- **Investor B** spreads it equally across 100 companies, **$100 each**. If one fails completely, B loses $100, which is **1%** of the portfolio.

## The maths of losses

Losses and gains are not symmetrical. After a fall, you need a *larger* percentage gain to get back to where you started:

| Loss | Gain needed to recover |
|---|---|
| 10% | about 11.1% |
| 25% | about 33.3% |
| 50% | 100% |

A $10,000 investment that falls 50% is worth $5,000, and it must then double to get back to $10,000. Avoiding large, concentrated losses matters a great deal.

## Asset allocation

Your **asset allocation** is how your money is divided between asset classes such as shares, bonds and cash. It is one of the biggest influences on both your risk and your likely returns. It usually depends on:

- **time horizon:** longer horizons can generally tolerate more short-term volatility;
- **risk tolerance:** how comfortable you are emotionally with seeing your balance fall;
- **risk capacity:** how much loss you can financially afford without harming essential goals.

As an illustration only, a portfolio with more shares (for example 80% shares and 20% bonds) is expected to grow faster over long periods but to fall further in bad years than one with 40% shares and 60% bonds.

## Worked example: rebalancing

Over time, different returns push your mix away from your target. Suppose you hold **$10,000** with a **60% shares / 40% bonds** target: $6,000 in shares and $4,000 in bonds.

In a strong year, shares rise **20%** and bonds are flat:

- shares: 6,000 × 1.20 = **$7,200**; bonds: **$4,000**; total **$11,200**;
- shares now make up 7,200 ÷ 11,200 ≈ **64.3%** of the portfolio, so you are taking more risk than you planned.

To **rebalance** to 60/40, the target for shares is 0.60 × 11,200 = $6,720. You could sell **$480** of shares and buy $480 of bonds, or direct new contributions to bonds until the mix is back on target. Many people rebalance on a schedule (for example once a year) or when the mix drifts by more than a set amount. Be aware that selling can have tax or cost consequences in some accounts.

## Know yourself

Ask yourself: if my investments fell 30% in a year, would I sell in a panic, or hold on? An allocation you can stick with through bad times is better than a "perfect" one you abandon at the worst moment.

## Key takeaways

- Risk includes volatility, permanent loss, inflation, liquidity and concentration risk.
- Diversification greatly reduces company-specific risk, but not market-wide risk.
- Spread investments across companies, industries, countries and asset classes. Broad funds make this easy.
- Big losses need even bigger gains to recover: a 50% fall needs a 100% gain.
- Choose an asset allocation that fits your time horizon, tolerance and capacity, and rebalance periodically.
"""

L_RETIREMENT = """Retirement may feel a long way off, but it is often the biggest financial goal most people have, and the one where starting early helps most. Many countries offer special **retirement accounts** with tax advantages to encourage people to save. Names and rules differ from place to place, but the main ideas are similar.

## Where retirement income comes from

Retirement income often comes from a combination of:

1. **State or public pensions:** government schemes (for example, Social Security in the US, the State Pension in the UK or the Canada Pension Plan). They are rarely designed to cover everything on their own.
2. **Workplace (employer) plans:** pensions or savings plans offered through your job.
3. **Personal savings and investments**, including individual retirement accounts.

## Types of workplace plan

- **Defined benefit (DB):** the plan promises a retirement income calculated by a formula, often based on your salary and years of service. The employer generally carries the investment risk.
- **Defined contribution (DC):** you (and often your employer) pay into your own account, and what you end up with depends on **how much goes in and how the investments perform**. You carry the investment risk. Examples include the 401(k) in the US, workplace pensions in the UK and superannuation in Australia.

DC plans have become much more common in many countries, which puts more responsibility on individuals.

## Individual accounts

Many countries also offer individual tax-advantaged accounts. Examples include IRAs and Roth IRAs in the US, personal pensions and ISAs in the UK (an ISA is a general tax-free savings and investment account, not only for retirement), and RRSPs and TFSAs in Canada. Other countries have their own equivalents.

## Two common tax approaches

Retirement accounts typically follow one of two broad patterns:

- **Tax relief now, tax later (tax-deferred):** contributions reduce your taxable income or receive tax relief, investments grow without yearly tax, and withdrawals are taxed as income. Traditional 401(k)s and IRAs, RRSPs and many workplace pensions work broadly like this.
- **Tax now, tax-free later:** you contribute money you have already paid tax on, and withdrawals that meet the rules are tax-free. Roth accounts, TFSAs and ISAs work broadly like this.

Which is better depends partly on whether you expect your tax rate to be higher now or in retirement. The exact rules are complex and vary by country.

## Rules, limits and restrictions

Tax advantages come with conditions, such as:

- **annual contribution limits;**
- a **minimum age** before you can normally withdraw, with taxes or penalties for early withdrawal in many systems;
- in some places, rules about when you must start taking money out.

These rules **vary by country and change frequently**, so always check current information from official government sources. This course deliberately does not quote specific limits because they go out of date.

## Employer matching: free money

Many employers add money when you contribute, for example by matching 100% or 50% of your contributions up to a percentage of your salary. Some matches only become fully yours after you have worked there for a set period (**vesting**).

**Worked example:** Lee earns **$50,000** a year. The employer matches **100% of contributions up to 5% of salary**.

- If Lee contributes 5% ($2,500), the employer adds $2,500, so **$5,000 a year** goes in.
- If Lee contributes only 3% ($1,500), the employer adds $1,500, so Lee misses out on **$1,000 a year** of matching money.

If $5,000 is added at the end of each year for **30 years** and grows at an assumed steady **6% a year**, the balance would be about **$395,291**, from $150,000 of contributions. The rest comes from compounding. Real returns will vary from year to year and are not guaranteed.

## A container, not an investment

A retirement account is a **wrapper** or container. Inside it, you (or the plan's default option) choose investments such as funds. Many plans offer **target-date** or "lifestyle" funds that gradually move from shares toward bonds and cash as retirement approaches. Check the fees and what your money is actually invested in.

## Practical habits

- **Join** your workplace plan if you can. Some countries now enrol workers automatically.
- **Contribute at least enough to get the full employer match**, if your budget allows.
- **Increase contributions** when you get a pay rise, before you get used to spending it.
- **Keep track of old accounts** when you change jobs, and avoid cashing them out early.
- **Review** your investments and fees every year or so.

## Key takeaways

- Retirement income usually combines state pensions, workplace plans and personal savings.
- Defined benefit plans promise an income; defined contribution plans depend on contributions and returns.
- Tax-advantaged accounts are usually "tax relief now, taxed later" or "taxed now, tax-free later".
- Contribution limits and withdrawal rules vary by country and change, so check official sources.
- Capture any employer match, start early, and remember the account is a container for investments.
"""

L_PLAN = """You have now met the building blocks of personal finance: goals, budgets, emergency funds, compound interest, inflation, debt, credit, investing, diversification and retirement accounts. This final lesson shows how they fit together into a simple plan.

## A common order of priorities

There is no single right order for everyone, but many educators suggest something like this:

1. **Budget and track spending**, so you know what you can work with.
2. **Build a starter emergency fund** (for example $500 to $1,000, or one month of essentials).
3. **Capture any employer retirement match**, because it is an immediate boost to your savings.
4. **Pay off high-interest debt**, such as credit card balances and payday loans.
5. **Build a full emergency fund**, often 3 to 6 months of essential expenses.
6. **Invest for retirement and other long-term goals**, in diversified, low-cost ways.
7. **Review regularly** and adjust as life changes.

Your circumstances may change the order. For example, someone with very unstable income might build a larger emergency fund sooner.

## Worked example: Taylor's first plan

Taylor takes home **$3,400 a month**. Needs (including a $50 minimum card payment) cost **$2,000**, and Taylor budgets **$700** for wants. That leaves **$700 a month** for goals. Taylor already contributes enough through payroll to receive the full employer match. Taylor has a **$1,800** credit card balance at **20% APR** and no savings.

**Phase 1: months 1 to 3.** Split the $700: $350 to a starter emergency fund and $350 extra to the card. After three months the starter fund holds 3 × $350 = **$1,050**.

**Phase 2: clear the card.** From month 4, all $700 goes to the card on top of the $50 minimum. Working month by month at 20% ÷ 12 per month, the card is **paid off in month 4**, with only about **$83** of interest in total. The unused $67.42 from month 4 goes into the emergency fund, bringing it to about $1,117.

**Phase 3: full emergency fund.** With the card gone, the $50 minimum is freed too, so Taylor saves **$750 a month**. To reach 3 months of essentials (about **$6,000**), Taylor needs ($6,000 − $1,117) ÷ $750 ≈ 6.5, so **7 more months**. The target is reached in **month 11**.

**Phase 4: invest.** From month 12, Taylor can direct $750 a month to long-term goals, such as extra retirement contributions in a diversified, low-cost fund, while continuing to review the budget.

In under a year, Taylor goes from debt and no savings to being debt-free, protected and investing.

## Guarding your progress

- **Lifestyle creep:** when income rises, it is easy for spending to rise just as fast. Try directing part of every pay rise to your goals.
- **Scams:** warning signs include guaranteed high returns, pressure to act immediately, requests for secrecy, unusual payment methods, and unregulated firms. If it sounds too good to be true, it probably is.
- **Insurance:** depending on your situation, insurance (such as health, home contents, or income protection) can stop one event from undoing years of progress. What is needed and available varies by country.
- **Records:** keep track of your accounts, passwords (stored securely) and key documents.

## A simple review checklist

**Monthly:**

- Compare spending with your budget.
- Check progress toward each goal.
- Check statements for errors or unfamiliar transactions.

**Yearly:**

- Update your goals and your emergency fund target.
- Review debts, interest rates and your credit report.
- Review retirement contributions, investment mix and fees.
- Rebalance if your investment mix has drifted.

## Key takeaways

- Personal finance works best as a system: budget, protect, reduce expensive debt, then invest.
- A common order is budget, starter emergency fund, employer match, high-interest debt, full emergency fund, then long-term investing.
- Breaking a plan into phases makes progress visible and motivating.
- Protect your progress from lifestyle creep, scams and uninsured risks.
- Review monthly and yearly, and adjust as your life changes.
"""



def sc(key, topic, prompt, options, answer, explanation, points=1):
    return {"key": key, "topic": topic, "prompt": prompt, "explanation": explanation,
            "points": points, "type": "single_choice", "options": options, "answer": answer}


def ms(key, topic, prompt, options, answer, explanation, points=2):
    return {"key": key, "topic": topic, "prompt": prompt, "explanation": explanation,
            "points": points, "type": "multiple_select", "options": options,
            "answer": sorted(answer)}


def tf(key, topic, prompt, answer, explanation, points=1):
    return {"key": key, "topic": topic, "prompt": prompt, "explanation": explanation,
            "points": points, "type": "true_false", "answer": answer}


def num(key, topic, prompt, answer, tolerance, explanation, points=2):
    # Whole numbers are written without a fraction (640, not 640.0), as the platform's
    # canonical form does.
    if float(answer).is_integer():
        answer = int(answer)
    return {"key": key, "topic": topic, "prompt": prompt, "explanation": explanation,
            "points": points, "type": "numeric", "answer": answer, "tolerance": tolerance}


def order(key, topic, prompt, items, explanation, points=2):
    return {"key": key, "topic": topic, "prompt": prompt, "explanation": explanation,
            "points": points, "type": "ordering", "items": items}


def fv_annuity(payment, rate, periods):
    """Future value of equal end-of-period payments."""
    return payment * ((1 + rate) ** periods - 1) / rate


# ---------------------------------------------------------------------------
# Numeric answers, computed here rather than typed in.
# ---------------------------------------------------------------------------
N_SAVINGS_503020 = round(3200 * 0.20, 2)                      # 640.00
N_EF_MONTHS = math.ceil((1850 * 4 - 1400) / 300)               # 20
assert (1850 * 4 - 1400) % 300 == 0                            # exact, no rounding needed
N_COMPOUND = round(1000 * 1.05 ** 10, 2)                       # 1628.89
N_PURCHASING = round(1000 / 1.03 ** 10, 2)                     # 744.09
N_REAL = round((1.07 / 1.03 - 1) * 100, 2)                     # 3.88
N_CARD_INTEREST = round(2400 * 0.18 / 12, 2)                   # 36.00
N_UTILISATION = round((900 + 300) / (3000 + 2000) * 100, 2)    # 24.00
N_FEE_GAP = round(10000 * 1.07 ** 30 - 10000 * 1.06 ** 30, 2)  # 18687.64
N_STOCK_SHARE = round(6000 * 1.2 / (6000 * 1.2 + 4000) * 100, 2)  # 64.29
N_MATCH = round(48000 * 0.06 * 0.50, 2)                        # 1440.00
N_RET_FV = round(fv_annuity(5000, 0.06, 30), 2)                # 395290.93

assert N_SAVINGS_503020 == 640.0
assert N_EF_MONTHS == 20
assert N_COMPOUND == 1628.89
assert N_PURCHASING == 744.09
assert N_REAL == 3.88
assert N_CARD_INTEREST == 36.0
assert N_UTILISATION == 24.0
assert N_FEE_GAP == 18687.64
assert N_STOCK_SHARE == 64.29
assert N_MATCH == 1440.0
assert N_RET_FV == 395290.93

# Values used by ordering questions, checked for strict order.
_doubling = {r: math.log(2) / math.log(1 + r / 100) for r in (2, 4, 6, 9)}
assert _doubling[2] > _doubling[4] > _doubling[6] > _doubling[9]
_growth = [1000 * 1.04 ** 10, 1000 * (1 + 0.05 * 10), 1000 * (1 + 0.06 * 10),
           1000 * 1.05 ** 10, 1000 * (1 + 0.05 / 12) ** 120]
assert _growth == sorted(_growth) and len(set(_growth)) == 5
_ef = [1200 * 4, 2400 * 3, 1500 * 6, 2000 * 5]
assert _ef == sorted(_ef) and len(set(_ef)) == 4


def _loan_interest(principal, apr, years):
    r, n = apr / 12, years * 12
    pay = principal * r / (1 - (1 + r) ** -n)
    return pay * n - principal


_loan = [_loan_interest(10000, 0.06, y) for y in (3, 5, 7, 10)]
assert _loan == sorted(_loan)
_ages = [fv_annuity(200, 0.005, (65 - a) * 12) for a in (25, 30, 40, 50)]
assert _ages == sorted(_ages, reverse=True)


BANK_FOUNDATIONS = [
    sc("smart-goal", "goals",
       "Which of these is the best example of a **SMART** financial goal?",
       ["Save more money this year.",
        "Become rich one day.",
        "Save $1,200 for a laptop within 12 months by setting aside $100 a month.",
        "Spend less on things I don't need."],
       2,
       "A SMART goal is **Specific, Measurable, Achievable, Relevant and Time-bound**. Only the laptop goal names "
       "an exact amount ($1,200), a deadline (12 months) and the monthly action needed ($1,200 ÷ 12 = $100). "
       "The other options are wishes: there is no amount, no deadline and no way to measure progress."),
    sc("emergency-fund-location", "emergency-funds",
       "Where is an emergency fund generally best kept?",
       ["In shares of a single company, so that it grows faster",
        "In a separate, easily accessible savings account, ideally covered by a deposit-protection scheme",
        "In a long-term retirement account that charges penalties for early withdrawal",
        "Spread across several credit cards' available limits"],
       1,
       "An emergency fund must be **safe** and **liquid** (easy to reach quickly). Shares can fall sharply just when "
       "you need the money, retirement accounts may charge taxes or penalties for early access, and available "
       "credit is borrowed money, not savings, so using it creates high-interest debt. A separate savings "
       "account keeps the money safe, accessible and out of everyday spending."),
    ms("fixed-expenses", "budgeting",
       "Which of these are usually **fixed** expenses, meaning roughly the same amount every month? Select all that apply.",
       ["Rent or a mortgage payment",
        "Groceries",
        "A loan repayment with a set monthly amount",
        "Eating out",
        "A streaming subscription with a set monthly price"],
       [0, 2, 4],
       "Fixed expenses stay about the same each month: rent, set loan repayments and subscriptions at a set price. "
       "Groceries and eating out are **variable**: they change depending on your choices each month. "
       "Note that *fixed* is not the same as *need*: a streaming subscription is a fixed expense, but it is a want. "
       "Variable categories are usually the easiest place to find savings."),
    ms("emergency-uses", "emergency-funds",
       "Which of these are appropriate uses of an emergency fund? Select all that apply.",
       ["Paying rent after an unexpected job loss",
        "Buying concert tickets while they are on sale",
        "An urgent repair to the car you need to get to work",
        "A holiday you booked six months ago",
        "An unexpected, essential medical bill"],
       [0, 2, 4],
       "A true emergency is **unexpected, necessary and urgent**. Job loss, an essential car repair and an "
       "unexpected medical bill all qualify. A sale is a want, not a necessity, and a holiday booked months ago is a "
       "*planned* expense that belongs in the budget or a sinking fund."),
    tf("zero-based-budget", "budgeting",
       "In a zero-based budget, your take-home income minus all planned spending, saving and debt payments should equal zero.",
       True,
       "**True.** Zero-based budgeting gives every dollar a job. Reaching zero does *not* mean spending everything: "
       "savings and extra debt payments are jobs too. For example, $3,000 of income with $1,900 of needs, $600 of wants "
       "and $500 of savings gives $3,000 − $1,900 − $600 − $500 = $0."),
    tf("annual-bill-emergency", "emergency-funds",
       "An insurance premium that you know is due every year is best paid from your emergency fund when it arrives.",
       False,
       "**False.** A bill you know is coming is not an emergency. Plan for it with a **sinking fund**: divide the yearly "
       "cost by 12 and set that amount aside each month (a $240 yearly bill needs $20 a month). This keeps the "
       "emergency fund available for genuinely unexpected costs."),
    num("savings-503020", "budgeting",
        "Dana's take-home pay is $3,200 a month. Using the 50/30/20 guideline, how many dollars a month would go to "
        "**savings and extra debt repayment**? Give your answer in dollars, to the nearest dollar.",
        N_SAVINGS_503020, 0.5,
        "The 50/30/20 guideline puts about 20% of take-home pay toward savings and extra debt repayment: "
        "0.20 × $3,200 = **$640**. The rest is about 50% for needs ($1,600) and 30% for wants ($960). "
        "It is a starting point that you can adjust, for example if housing costs push needs above 50%."),
    num("emergency-fund-months", "emergency-funds",
        "Priya's essential expenses are $1,850 a month. She wants an emergency fund covering **4 months** of essentials "
        "and already has $1,400 saved. If she saves $300 a month, how many months will it take to reach her target? "
        "Answer as a whole number of months.",
        N_EF_MONTHS, 0.5,
        "Target: 4 × $1,850 = $7,400. Still needed: $7,400 − $1,400 = $6,000. Months: $6,000 ÷ $300 = **20 months**. "
        "Breaking a big target into a monthly amount makes it manageable, and one-off windfalls can shorten the time."),
    order("budget-steps", "budgeting",
          "Put these steps for creating a first budget in the order given in the *Budgeting* lesson, from first to last.",
          ["Work out your monthly take-home (after-tax) income",
           "Track where your money currently goes for a month",
           "Assign your income to needs, wants and savings goals",
           "Compare actual spending with the plan each month and adjust"],
          "You need to know what comes in (**income**) and where it currently goes (**tracking**) before you can "
          "make a realistic **plan**. A budget is not finished once it is written: regular **review and adjustment** "
          "keeps it realistic."),
    order("emergency-targets", "emergency-funds",
          "Order these emergency-fund targets from **smallest to largest** total amount.",
          ["Essential expenses of $1,200 a month, aiming for 4 months",
           "Essential expenses of $2,400 a month, aiming for 3 months",
           "Essential expenses of $1,500 a month, aiming for 6 months",
           "Essential expenses of $2,000 a month, aiming for 5 months"],
          "Multiply monthly essentials by the number of months: $1,200 × 4 = $4,800; $2,400 × 3 = $7,200; "
          "$1,500 × 6 = $9,000; $2,000 × 5 = $10,000. Both the monthly essentials *and* the number of months "
          "matter. Someone with low costs but a longer target can need more than someone with high costs but a "
          "shorter one."),
]

BANK_GROWTH = [
    sc("rule-of-72", "compound-interest",
       "Using the **rule of 72**, roughly how many years does it take money to double at 6% a year?",
       ["6 years", "8 years", "12 years", "18 years"],
       2,
       "Rule of 72: years to double ≈ 72 ÷ rate = 72 ÷ 6 = **12 years**. The exact answer with annual compounding "
       "is ln 2 ÷ ln 1.06 ≈ 11.9 years, so the shortcut is very close. The same rule shows how fast prices double "
       "under inflation or how fast unpaid debt grows."),
    sc("savings-below-inflation", "inflation",
       "You keep $1,000 in an account paying 2% a year while inflation is 4% a year. After one year, what has "
       "happened to the **purchasing power** of your money?",
       ["It has increased by about 2%",
        "It has stayed exactly the same",
        "It has decreased by about 2%",
        "It has decreased by about 6%"],
       2,
       "Your balance grows to $1,020, but prices rise 4%. The real return is 1.02 ÷ 1.04 − 1 ≈ **−1.92%**, so you can "
       "buy about 2% *less* than a year ago. Money earning less than inflation loses purchasing power even though "
       "the number in the account goes up."),
    ms("compound-growth-drivers", "compound-interest",
       "For a savings account earning compound interest, which of these would **increase** the final balance, all else "
       "being equal? Select all that apply.",
       ["A higher interest rate",
        "Leaving the money in the account for more years",
        "Withdrawing the interest each year",
        "Starting with a larger deposit",
        "More frequent compounding at the same stated annual rate"],
       [0, 1, 3, 4],
       "In A = P × (1 + r/n)^(n × t), increasing P (deposit), r (rate), t (time) or n (compounding frequency) all "
       "increase A. Withdrawing the interest each year removes the \"interest on interest\" that makes compounding "
       "powerful, so the account grows no faster than simple interest."),
    ms("inflation-statements", "inflation",
       "Which statements about inflation are correct? Select all that apply.",
       ["Inflation means that, on average, prices are rising",
        "Inflation increases the purchasing power of cash kept at home",
        "An official inflation rate is an average, so your personal inflation rate can differ",
        "If your pay rises 3% while prices rise 5%, your real pay has fallen"],
       [0, 2, 3],
       "Inflation is a general rise in prices, which **reduces** the purchasing power of cash. Official measures "
       "such as a consumer price index track an average basket, so your own costs may rise faster or slower. "
       "A 3% raise with 5% inflation is a real pay cut of about 1.03 ÷ 1.05 − 1 ≈ −1.9%."),
    tf("simple-interest-on-interest", "compound-interest",
       "With **simple** interest, you earn interest both on your original deposit and on interest you have already earned.",
       False,
       "**False.** That describes **compound** interest. Simple interest is paid only on the original principal: "
       "$1,000 at 5% simple interest earns $50 every year, giving $1,500 after 10 years, while annual compounding "
       "gives about $1,628.89."),
    tf("balance-up-power-down", "inflation",
       "If your savings grow from $1,000 to $1,020 in a year in which prices rise by 3%, you can buy **more** with your "
       "savings at the end of the year than at the start.",
       False,
       "**False.** In today's money, $1,020 is worth about 1,020 ÷ 1.03 ≈ $990.29, so you can buy slightly **less**. "
       "The nominal return (+2%) is below inflation (3%), giving a real return of about −0.97%."),
    num("compound-1000-5pct-10y", "compound-interest",
        "You deposit $1,000 in an account paying 5% interest a year, **compounded annually**, and make no other deposits "
        "or withdrawals. What is the balance after 10 years? Give your answer in dollars, to the nearest cent.",
        N_COMPOUND, 0.5,
        "A = P × (1 + r)^t = 1,000 × 1.05^10 = 1,000 × 1.628895 ≈ **$1,628.89**. With simple interest you would "
        "have only $1,500. The extra $128.89 is interest earned on earlier interest."),
    num("purchasing-power-10y", "inflation",
        "Inflation averages 3% a year (compounding annually) for 10 years. What is $1,000 then worth in **today's "
        "purchasing power**? Give your answer in dollars, to the nearest dollar.",
        N_PURCHASING, 1,
        "Value in today's money = amount ÷ (1 + inflation)^years = 1,000 ÷ 1.03^10 = 1,000 ÷ 1.343916 ≈ **$744**. "
        "Equivalently, something costing $100 today would cost about $134.39. Modest inflation removes roughly "
        "a quarter of cash's purchasing power in a decade."),
    num("real-return-exact", "inflation",
        "An investment earns a nominal return of 7% in a year when inflation is 3%. Using the **exact** formula "
        "real return = (1 + nominal) ÷ (1 + inflation) − 1, what is the real return? Give your answer as a percentage "
        "to two decimal places (for example, 1.23 for 1.23%).",
        N_REAL, 0.01,
        "Real return = 1.07 ÷ 1.03 − 1 = 1.038835 − 1 ≈ **3.88%**. The popular shortcut \"7% − 3% = 4%\" is an "
        "approximation that slightly overstates the real return, and the gap widens at higher rates."),
    order("doubling-time", "compound-interest",
          "Order these annual interest rates from the **longest** to the **shortest** time for money to double "
          "(annual compounding).",
          ["2% a year", "4% a year", "6% a year", "9% a year"],
          "Higher rates double money faster. By the rule of 72: 72 ÷ 2 = 36 years, 72 ÷ 4 = 18 years, 72 ÷ 6 = 12 "
          "years, 72 ÷ 9 = 8 years. The exact figures (about 35.0, 17.7, 11.9 and 8.0 years) give the same order."),
    order("growth-10y-ranking", "compound-interest",
          "You invest $1,000 for 10 years with no further deposits. Order these options from **lowest to highest** "
          "final balance.",
          ["4% a year, compounded annually",
           "5% a year, simple interest",
           "6% a year, simple interest",
           "5% a year, compounded annually",
           "5% a year, compounded monthly"],
          "Final balances: 1,000 × 1.04^10 ≈ $1,480.24; 1,000 × (1 + 0.05 × 10) = $1,500; 1,000 × (1 + 0.06 × 10) "
          "= $1,600; 1,000 × 1.05^10 ≈ $1,628.89; 1,000 × (1 + 0.05/12)^120 ≈ $1,647.01. Over 10 years, compounding "
          "at 5% even beats simple interest at 6%, and more frequent compounding adds a little more."),
]

BANK_DEBT = [
    sc("avalanche-first", "debt",
       "You have four debts and use the **debt avalanche** method. Which debt gets your extra payments first "
       "(while you pay the minimum on the others)?",
       ["Car loan: $8,000 at 7% APR",
        "Credit card: $2,500 at 22% APR",
        "Store card: $400 at 18% APR",
        "Student loan: $15,000 at 5% APR"],
       1,
       "The avalanche method targets the **highest interest rate** first, which minimises the total interest "
       "you pay. The 22% credit card is the most expensive debt. (The *snowball* method would target the smallest "
       "balance, the $400 store card, first, for a quick motivational win.)"),
    sc("best-for-score", "credit-scores",
       "Which action is **most likely** to help your credit score over time?",
       ["Paying every bill on time, every month",
        "Applying for several new credit cards in the same month",
        "Using your card up to its full limit every month",
        "Closing your oldest credit card account"],
       0,
       "Payment history is usually the most important factor in credit scoring. Many applications in a short time "
       "can lower a score, maxing out cards means very high utilisation, and closing your oldest account can "
       "shorten your credit history and raise utilisation."),
    ms("score-factors", "credit-scores",
       "Which of these are **typically** considered by credit scoring models? Select all that apply.",
       ["Whether you pay on time",
        "How much of your available credit you are using",
        "How long you have had credit",
        "The balance of your savings account",
        "Recent applications for new credit"],
       [0, 1, 2, 4],
       "Common scoring factors are payment history, amounts owed and utilisation, length of credit history, new "
       "credit applications and credit mix. Savings balances are not usually part of your credit report or score, "
       "although a lender may ask about them separately when judging affordability."),
    ms("debt-warning-signs", "debt",
       "Which of these are warning signs that debt may be becoming a problem? Select all that apply.",
       ["Only ever making the minimum payment on credit cards",
        "Using a credit card and paying the full statement balance by the due date every month",
        "Borrowing on one card to make payments on another",
        "Relying on credit each month to pay for essentials like food and rent",
        "Having a fixed-rate loan whose payments fit comfortably in your budget"],
       [0, 2, 3],
       "Minimum-only payments, juggling debts between cards and using credit for everyday essentials all suggest "
       "spending is outrunning income. Paying the full statement balance every month usually means no interest on "
       "purchases, and an affordable fixed-rate loan is being managed, not spiralling. If you see warning signs, "
       "contact lenders early and look for free, non-profit debt advice."),
    tf("own-report-check", "credit-scores",
       "Checking your **own** credit report lowers your credit score.",
       False,
       "**False.** Checking your own report is a \"soft\" check that lenders do not see as a credit application, so "
       "it does not harm your score. Checking regularly is a good habit: it helps you spot errors and signs of "
       "identity fraud. \"Hard\" checks happen when you apply for credit."),
    tf("grace-period", "debt",
       "On many credit cards, if you pay the **full statement balance** by the due date every month, you pay no "
       "interest on your purchases.",
       True,
       "**True.** Many cards offer a grace period on purchases: interest applies only when you carry a balance past "
       "the due date. (Cash withdrawals and some other transactions may be charged interest straight away, so check "
       "your card's terms.) Used this way, a card can be a convenient payment tool rather than a source of debt."),
    num("card-monthly-interest", "debt",
        "A credit card has an 18% APR and a balance of $2,400. Using the simplified monthly rate of APR ÷ 12, how much "
        "interest is charged for one month if you make no payments or new purchases? Give your answer in dollars, "
        "to the nearest cent.",
        N_CARD_INTEREST, 0.01,
        "Monthly rate = 18% ÷ 12 = 1.5%. Interest = $2,400 × 0.015 = **$36.00**. If that interest is not paid, it is "
        "added to the balance and next month's interest is charged on $2,436. That is compounding working "
        "against you."),
    num("credit-utilisation", "credit-scores",
        "Maya has two credit cards. Card A has a $3,000 limit and a $900 balance; Card B has a $2,000 limit and a $300 "
        "balance. What is her **overall** credit utilisation? Give your answer as a percentage, to the nearest whole "
        "percent (for example, 12 for 12%).",
        N_UTILISATION, 0.5,
        "Utilisation = total balances ÷ total limits = ($900 + $300) ÷ ($3,000 + $2,000) = $1,200 ÷ $5,000 = **24%**. "
        "Lower utilisation generally helps a score. Closing Card B after paying it off would shrink her total limit "
        "and push utilisation up."),
    order("avalanche-order", "debt",
          "Using the **debt avalanche** method, order these debts from the first to the last to receive extra payments.",
          ["Credit card: $2,500 at 22% APR",
           "Store card: $400 at 18% APR",
           "Car loan: $8,000 at 7% APR",
           "Student loan: $15,000 at 5% APR"],
          "The avalanche method ranks debts by **interest rate, highest first**: 22%, 18%, 7%, 5%. Balance size does not "
          "matter for this method. When one debt is cleared, its payment rolls into the next, so your extra "
          "payments get bigger as you go."),
    order("loan-term-interest", "debt",
          "A $10,000 loan at 6% APR is repaid in equal monthly payments. Order these repayment terms from the **least** "
          "to the **most** total interest paid.",
          ["3 years", "5 years", "7 years", "10 years"],
          "A longer term lowers each monthly payment but keeps the balance outstanding for longer, so more interest "
          "builds up. Total interest is about $952 over 3 years, $1,600 over 5 years, $2,271 over 7 years and $3,322 "
          "over 10 years."),
]

BANK_INVESTING = [
    sc("share-ownership", "investing-basics",
       "What do you own when you buy a **share** (stock) in a company?",
       ["A loan to the company that it must repay with interest",
        "A small part-ownership of the company",
        "A guaranteed right to a fixed payment every year",
        "An insurance policy against the company failing"],
       1,
       "A share is a small slice of **ownership**. Shareholders can benefit from dividends and rising share prices, "
       "but dividends are not guaranteed and the price can fall. A loan to a company that pays interest is a **bond**."),
    sc("diversifiable-risk", "diversification",
       "Which type of risk can diversifying across many different companies **substantially reduce**?",
       ["Market-wide (systematic) risk, such as a global recession",
        "Company-specific (unsystematic) risk, such as one firm going bankrupt",
        "The risk that inflation reduces the value of all investments",
        "All investment risk"],
       1,
       "Owning many companies means that one company's failure has only a small effect on your portfolio, so "
       "company-specific risk is greatly reduced. Market-wide events affect most investments at the same time, so "
       "diversification cannot remove them. You manage that risk through your asset allocation and time horizon."),
    ms("increase-diversification", "diversification",
       "Which of these would generally **increase** the diversification of a portfolio? Select all that apply.",
       ["Holding a broad index fund that owns hundreds of companies",
        "Putting all your savings into your employer's shares",
        "Spreading investments across different countries",
        "Holding a mix of asset classes, such as shares and bonds",
        "Moving everything into the single share that rose most last year"],
       [0, 2, 3],
       "Diversification spreads money across many companies, industries, countries and asset classes. Concentrating "
       "on one share, especially your employer's, increases risk: if the company struggles, you could lose your job "
       "and your savings at the same time. Last year's winner is not a reliable guide to next year."),
    ms("bond-facts", "investing-basics",
       "Which statements about bonds are generally true? Select all that apply.",
       ["A bond is essentially a loan you make to a government or company",
        "Bond prices tend to fall when market interest rates rise",
        "Bonds can never lose value",
        "Bonds typically pay regular interest, often called the coupon"],
       [0, 1, 3],
       "A bond is a loan: the borrower pays interest (the coupon) and repays the principal at maturity. Bonds can "
       "lose value. If interest rates rise, older bonds paying lower rates become less attractive and their prices "
       "fall, and a borrower may default."),
    tf("diversification-guarantee", "diversification",
       "Diversification guarantees that you will not lose money.",
       False,
       "**False.** Diversification reduces the damage any single investment can do, but it cannot prevent losses "
       "when the whole market falls, and it does not guarantee a profit. It is about managing risk, not removing it."),
    tf("fifty-percent-loss", "risk",
       "After a 50% fall, an investment needs a 100% gain to get back to its starting value.",
       True,
       "**True.** $10,000 falling 50% leaves $5,000, and $5,000 must double (+100%) to return to $10,000. Losses need "
       "larger percentage gains to recover: a 25% loss needs about a 33.3% gain. This is one reason to avoid large, "
       "concentrated bets."),
    num("fee-drag-30y", "investing-basics",
        "You invest $10,000 for 30 years with **annual compounding** and no further deposits. Investment A returns 7% a "
        "year. Investment B earns the same 7% but charges fees that reduce its return to 6% a year. How much more does "
        "A end with than B? Give your answer in dollars, to the nearest dollar.",
        N_FEE_GAP, 1,
        "A: 10,000 × 1.07^30 ≈ $76,122.55. B: 10,000 × 1.06^30 ≈ $57,434.91. Difference ≈ **$18,688**, which is "
        "almost twice the original investment. Fees compound just like returns do, so small-looking percentages "
        "make a big difference over decades."),
    num("rebalancing-drift", "risk",
        "Your $10,000 portfolio is 60% shares ($6,000) and 40% bonds ($4,000). Over a year shares rise 20% and bonds "
        "are unchanged. What percentage of the portfolio is now in shares? Give your answer as a percentage to one "
        "decimal place (for example, 12.3 for 12.3%).",
        N_STOCK_SHARE, 0.1,
        "Shares: $6,000 × 1.20 = $7,200. Bonds: $4,000. Total: $11,200. Share weight: 7,200 ÷ 11,200 ≈ **64.3%**. "
        "The portfolio has drifted toward more risk than planned. Rebalancing to 60/40 would mean moving about "
        "$480 from shares to bonds (target shares = 0.60 × $11,200 = $6,720)."),
    order("volatility-ladder", "risk",
          "Order these from typically the **lowest** to the **highest** short-term price volatility.",
          ["Money in an insured bank savings account",
           "A fund of high-quality, short-term government bonds",
           "A broad, diversified share index fund",
           "Shares in a single small start-up company"],
          "A protected savings account does not fluctuate in value. Short-term, high-quality government bonds move "
          "a little with interest rates. A broad share fund rises and falls with the stock market. A single small "
          "company's shares can swing wildly and could go to zero. Higher expected return generally comes with "
          "higher volatility."),
    order("diversification-ladder", "diversification",
          "Order these portfolios from the **least** to the **most** diversified.",
          ["Shares in one company",
           "Shares in five companies, all in the same industry",
           "A fund holding 500 large companies across many industries in one country",
           "A global fund holding thousands of companies across many countries and industries"],
          "Each step spreads risk more widely: from one company, to several in a single industry (still exposed "
          "to that industry's problems), to many industries in one country, to many industries **and** countries. "
          "Wider diversification reduces the impact of any single company, industry or country."),
]

BANK_RETIREMENT = [
    sc("raise-to-match", "retirement",
       "Your employer matches 100% of your retirement contributions up to 4% of your salary. You currently contribute "
       "2%. What is the main effect of raising your contribution to 4%?",
       ["You lose the match because you went over the limit",
        "Your employer adds an extra 2% of your salary in matching contributions",
        "Your employer's contribution stays the same",
        "Your take-home pay goes up"],
       1,
       "With a 100% match up to 4%, contributing 2% earns a 2% match and contributing 4% earns a 4% match, so your "
       "employer adds an **extra 2% of salary**. Your take-home pay usually goes *down* slightly because you are "
       "contributing more. Still, the match is an immediate 100% boost on those contributions."),
    sc("db-vs-dc", "retirement",
       "What is the main difference between a **defined benefit** pension and a **defined contribution** plan?",
       ["A defined benefit plan promises an income based on a formula (such as salary and years of service); a defined "
        "contribution plan's value depends on contributions and investment returns",
        "A defined contribution plan guarantees a fixed income for life; a defined benefit plan does not",
        "A defined benefit plan is an account you open yourself at a bank; a defined contribution plan is run by the government",
        "There is no difference; they are two names for the same thing"],
       0,
       "In a **defined benefit** plan, the *benefit* (the income) is defined in advance and the plan generally carries "
       "the investment risk. In a **defined contribution** plan, only the *contributions* are defined. What you end "
       "up with depends on how much goes in and how the investments perform, so you carry the investment risk. "
       "The 401(k) in the US, many UK workplace pensions and Australian superannuation are defined contribution."),
    sc("scam-signal", "planning",
       "An online advert offers \"guaranteed 30% monthly returns with zero risk\" and urges you to invest today. What is "
       "the most reasonable conclusion?",
       ["It is a rare opportunity, so invest quickly before it closes",
        "It shows strong warning signs of a scam",
        "It is safe as long as a friend has already been paid by it",
        "It is fine if you only invest your emergency fund"],
       1,
       "Guaranteed high returns, \"zero risk\" and pressure to act fast are classic scam warning signs. Higher returns "
       "always come with higher risk. Early payouts to friends are a common tactic in fraudulent schemes, and your "
       "emergency fund should never be put at risk. If it sounds too good to be true, it probably is."),
    ms("retirement-account-facts", "retirement",
       "Which statements about tax-advantaged retirement accounts are generally true? Select all that apply.",
       ["Rules such as contribution limits and withdrawal ages vary by country and change over time",
        "In a tax-deferred account, contributions usually get tax relief now and withdrawals are taxed later",
        "In accounts such as a Roth IRA or a TFSA, you contribute after-tax money and withdrawals that meet the rules are tax-free",
        "Taking money out early never has any tax or penalty consequences",
        "A retirement account is itself a single investment with a fixed return"],
       [0, 1, 2],
       "The two broad tax patterns are \"relief now, taxed later\" (e.g. traditional 401(k)/IRA, RRSP, many workplace "
       "pensions) and \"taxed now, tax-free later\" (e.g. Roth accounts, TFSAs, ISAs). Early withdrawals often bring "
       "taxes, penalties or are simply not allowed. The account is a **container**: its return depends on the "
       "investments you hold inside it. Always check current official rules where you live."),
    ms("workplace-habits", "retirement",
       "Which of these are sensible habits for managing workplace retirement savings? Select all that apply.",
       ["Contributing at least enough to receive the full employer match, if your budget allows",
        "Keeping track of old workplace accounts when you change jobs",
        "Cashing out your retirement savings every time you change jobs",
        "Increasing your contribution rate when you get a pay rise",
        "Ignoring the fees charged by the funds in your account"],
       [0, 1, 3],
       "Capturing the match, keeping track of old accounts and raising contributions with pay rises all help your "
       "savings compound. Cashing out early can trigger taxes or penalties and throws away years of growth, and "
       "fees compound against you, so they deserve attention."),
    tf("account-is-investment", "retirement",
       "A retirement account such as a 401(k), a workplace pension, an RRSP or an ISA is itself an investment with its "
       "own fixed rate of return.",
       False,
       "**False.** These accounts are **wrappers** (containers) with special tax rules. The return depends on what is "
       "held inside, such as funds, shares, bonds or cash, and can go up or down. Choosing suitable, low-cost "
       "investments inside the account is a separate decision."),
    num("employer-match-dollars", "retirement",
        "Sam earns a salary of $48,000 a year and contributes 6% of it to a workplace retirement plan. The employer "
        "matches **50%** of Sam's contributions, up to 6% of salary. How many dollars a year does the **employer** "
        "contribute? Give your answer in dollars, to the nearest dollar.",
        N_MATCH, 0.5,
        "Sam contributes 6% × $48,000 = $2,880. The employer matches 50% of that: 0.50 × $2,880 = **$1,440** (which is "
        "3% of salary). Together, $4,320 a year goes in, an instant 50% boost on Sam's own contributions."),
    num("retirement-fv-30y", "retirement",
        "You and your employer together add $5,000 to a retirement account at the **end of each year** for 30 years. "
        "Assume a steady 6% annual return, compounded annually, with no fees or withdrawals. What is the balance "
        "after 30 years? Give your answer in dollars, to the nearest dollar.",
        N_RET_FV, 10,
        "Future value of regular end-of-year payments: FV = P × ((1 + r)^n − 1) ÷ r = 5,000 × (1.06^30 − 1) ÷ 0.06 "
        "≈ 5,000 × 79.0582 ≈ **$395,291**. Only $150,000 was contributed; about $245,000 came from compounding. Real "
        "returns vary from year to year, so treat this as an illustration, not a forecast."),
    order("start-age-ranking", "retirement",
          "Four people each invest $200 a month until age 65, earning a steady 6% a year compounded monthly. Order them "
          "from the **largest** to the **smallest** balance at 65.",
          ["Starts at age 25", "Starts at age 30", "Starts at age 40", "Starts at age 50"],
          "An earlier start means more contributions **and** more time for each contribution to compound. Balances are "
          "about $398,000 (from 25), $285,000 (from 30), $139,000 (from 40) and $58,000 (from 50). Starting at 25 "
          "rather than 35 roughly doubles the result, even though total contributions are only a third higher."),
    order("priority-order", "planning",
          "Put these steps in the order of the common framework described in the *Putting it all together* lesson, "
          "from first to last.",
          ["Create a budget and track your spending",
           "Build a small starter emergency fund",
           "Pay off high-interest debt such as credit card balances",
           "Build a full emergency fund of about 3 to 6 months of essential expenses",
           "Invest for long-term goals beyond any employer match"],
          "A budget shows what you have to work with. A starter emergency fund stops small surprises from becoming new "
          "debt. Clearing high-interest debt is like earning a guaranteed high return. A full emergency fund then "
          "protects you against bigger shocks before you commit more money to long-term investing. Circumstances vary, "
          "so the framework is a guide, not a rule."),
]


# ---------------------------------------------------------------------------
# Assembly
# ---------------------------------------------------------------------------
def lesson(title, minutes, text):
    body = text.strip() + "\n\n" + DISCLAIMER + "\n"
    return {"title": title, "estimated_minutes": minutes, "body": body}


def quiz(title, bank, draw=6):
    return {"title": title, "bank": bank, "draw": draw, "pass_mark_percent": 70,
            "max_attempts": 3, "time_limit_minutes": 12,
            "shuffle_questions": True, "shuffle_options": True}


MODULES = [
    {"title": "Getting started: goals, budgeting and emergency funds",
     "lessons": [lesson("Setting financial goals", 12, L_GOALS),
                 lesson("Budgeting: giving every dollar a job", 18, L_BUDGET),
                 lesson("Emergency funds: your financial shock absorber", 15, L_EMERGENCY)],
     "quizzes": [quiz("Goals, budgeting and emergency funds check", "foundations")]},
    {"title": "Growing money: compound interest and inflation",
     "lessons": [lesson("Compound interest: how money grows over time", 18, L_COMPOUND),
                 lesson("Inflation and purchasing power", 15, L_INFLATION)],
     "quizzes": [quiz("Compound interest and inflation check", "interest-and-inflation")]},
    {"title": "Borrowing wisely: debt and credit scores",
     "lessons": [lesson("How debt works: interest, repayments and payoff strategies", 18, L_DEBT),
                 lesson("Credit reports and credit scores", 15, L_CREDIT)],
     "quizzes": [quiz("Debt and credit check", "debt-and-credit")]},
    {"title": "Investing basics, diversification and risk",
     "lessons": [lesson("Investing basics: shares, bonds and funds", 18, L_INVESTING),
                 lesson("Diversification and risk", 18, L_DIVERSIFY)],
     "quizzes": [quiz("Investing and diversification check", "investing-and-risk")]},
    {"title": "Planning for retirement and putting it all together",
     "lessons": [lesson("Retirement accounts: saving for the long run", 18, L_RETIREMENT),
                 lesson("Putting it all together: your first financial plan", 15, L_PLAN)],
     "quizzes": [quiz("Retirement and planning check", "retirement-and-planning")]},
]

BANKS = [
    {"key": "foundations", "title": "Goals, budgeting and emergency funds", "questions": BANK_FOUNDATIONS},
    {"key": "interest-and-inflation", "title": "Compound interest and inflation", "questions": BANK_GROWTH},
    {"key": "debt-and-credit", "title": "Debt and credit scores", "questions": BANK_DEBT},
    {"key": "investing-and-risk", "title": "Investing, diversification and risk", "questions": BANK_INVESTING},
    {"key": "retirement-and-planning", "title": "Retirement accounts and financial planning", "questions": BANK_RETIREMENT},
]

SUMMARY = (
    "A practical, beginner-friendly introduction to managing money. You will learn how to set clear financial goals, "
    "build a budget that works, and create an emergency fund; see how compound interest and inflation shape what "
    "your money is worth over time; understand how debt, interest and credit scores work and how to pay debt down; "
    "learn the basics of investing, diversification and risk; and find out how retirement accounts and employer "
    "matching work, before bringing everything together into a simple personal plan. Each lesson includes worked "
    "examples with real numbers and key takeaways, and each module ends with a short quiz. Examples use $ as a "
    "generic currency, and country-specific rules are described in general terms because they vary and change. "
    "This course is general education, not financial, investment, tax or legal advice."
)


def build():
    minutes = sum(l["estimated_minutes"] for m in MODULES for l in m["lessons"])
    minutes += sum(q["time_limit_minutes"] for m in MODULES for q in m["quizzes"])
    return {
        "schema": "finai-nexus/course-package",
        "schema_version": 1,
        "course": {
            "title": "Financial Literacy 101",
            "summary": SUMMARY,
            "level": "beginner",
            "estimated_minutes": minutes,
            # Tags are a set; the server keeps them sorted, so write them sorted and an
            # export of the imported course is this file exactly.
            "tags": sorted(["budgeting", "emergency-fund", "compound-interest", "inflation", "debt",
                            "credit-scores", "investing", "diversification", "risk", "retirement",
                            "personal-finance", "financial-literacy"]),
            "self_enrol": True,
        },
        "modules": MODULES,
        "banks": BANKS,
    }


def main():
    out = Path(__file__).resolve().parent.parent / "curriculum" / "financial-literacy-101.json"
    if len(sys.argv) > 1:
        out = Path(sys.argv[1])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(build(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
